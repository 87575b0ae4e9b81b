"""Conversations that stay readable, in real browsers: a room's topic set by its owner and
seen live by a member, and an archived room that refuses a post and moves to the
"Archived" section of the sidebar."""

import pytest
from playwright.sync_api import Browser, expect

from e2e.pages import Person, sign_up

OWNER, MEMBER = "olga-cv", "pavel-cv"
ROOM = "plans-cv"


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str):
    contexts = []

    def person(name: str) -> Person:
        context = browser.new_context(base_url=base_url)
        contexts.append(context)
        return Person(name, context, sign_up(context, name))

    owner, member = person(OWNER), person(MEMBER)
    room = owner.room
    room.create_room(ROOM, private=True)
    room.page.fill("#add-member-username", MEMBER)
    room.page.click("#add-member-submit")
    expect(room.members.filter(has_text=MEMBER)).to_have_count(1)
    yield owner, member
    for context in contexts:
        context.close()


def test_a_topic_set_by_the_owner_shows_live_for_a_member(people):
    owner, member = people
    watcher = member.open(ROOM)
    page = owner.open(ROOM).page
    page.click("#room-about-edit")
    page.fill("#room-about-topic", "Launch on **Friday**")
    page.fill("#room-about-description", "Where the launch is planned")
    page.click("#room-about-save")
    expect(page.locator("#room-about-dialog")).not_to_be_visible()
    topic = watcher.page.locator("#room-topic")
    expect(topic).to_have_text("Launch on Friday")
    expect(topic.locator("strong")).to_have_text("Friday")
    expect(watcher.page.locator("#room-about-edit")).to_be_hidden()  # not an owner


def test_an_archived_room_refuses_a_post_and_moves_to_archived(people):
    owner, member = people
    watcher = member.open(ROOM)
    watcher.send("last words before the archive")
    watcher.expect_delivered("last words before the archive")
    room = owner.open(ROOM)
    room.page.click("#room-archive")
    expect(room.page.locator("#room-archive")).to_have_text("Unarchive")
    # The member's open page hears of it: the composer gives way to the notice.
    expect(watcher.page.locator("#archived-notice")).to_be_visible()
    expect(watcher.input).to_be_disabled()
    expect(watcher.page.locator(f'#sidebar-archived li[data-room="{ROOM}"]')).to_be_visible()
    expect(watcher.page.locator(f'#sidebar-rooms li[data-room="{ROOM}"]')).to_have_count(0)
    # A post that still reaches the server (an old page, another client) is refused.
    refused = watcher.page.evaluate(
        """async (room) => {
            const csrf = JSON.parse(document.getElementById("csrf-token").textContent);
            const response = await fetch(`/api/rooms/${room}/messages/`, {
                method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
                body: JSON.stringify({message: "too late"}),
            });
            return [response.status, (await response.json()).code];
        }""",
        ROOM,
    )
    assert refused == [403, "room_archived"]
    watcher.page.reload()
    watcher.expect_messages("last words before the archive")
    expect(watcher.input).to_be_disabled()
    room.page.click("#room-archive")  # brought back
    expect(watcher.page.locator("#archived-notice")).to_be_hidden()
    expect(watcher.input).to_be_enabled()
