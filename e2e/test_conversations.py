"""Conversations that stay readable, in real browsers: a room's topic set by its owner and
seen live by a member, a pin seen live in another person's panel with the line it
writes, a message saved and opened from the Saved list, and an archived room that
refuses a post and moves to the "Archived" section of the sidebar; a link's preview
from a local web site appearing under it, and its author removing it."""

import pytest
from playwright.sync_api import Browser, expect

from e2e.pages import signed_up

OWNER, MEMBER = "olga-cv", "pavel-cv"
ROOM = "plans-cv"


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str):
    with signed_up(browser, base_url, (OWNER, MEMBER)) as (owner, member):
        room = owner.room
        room.create_room(ROOM, private=True)
        room.page.fill("#add-member-username", MEMBER)
        room.page.click("#add-member-submit")
        expect(room.members.filter(has_text=MEMBER)).to_have_count(1)
        yield owner, member


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


def test_a_pin_shows_live_for_another_person_with_the_line_it_writes(people):
    owner, member = people
    watcher = member.open(ROOM)
    room = owner.open(ROOM)
    room.send("The launch checklist is in the wiki")
    expect(room.message("The launch checklist is in the wiki")).to_be_visible()
    room.act("The launch checklist is in the wiki", "Pin this message for everyone here")
    expect(watcher.page.locator("#pins-count")).to_have_text("1")
    line = watcher.page.locator("#chat-log li.system-line").last
    expect(line).to_contain_text(f"{OWNER} pinned a message")
    expect(line.locator(".reply-quote")).to_contain_text("launch checklist")
    watcher.page.click("#pins-open")
    pinned = watcher.page.locator("#pins-list li")
    expect(pinned).to_have_count(1)
    expect(pinned).to_contain_text("The launch checklist is in the wiki")
    expect(pinned).to_contain_text(f"pinned by {OWNER}")
    pinned.get_by_role("button", name="Unpin").click()
    expect(watcher.page.locator("#pins-empty")).to_be_visible()
    expect(room.page.locator("#pins-count")).to_have_text("0")


def test_a_saved_message_is_listed_and_opens_where_it_was(people):
    owner, member = people
    room = owner.open(ROOM)
    room.send("Remember the budget numbers")
    expect(room.message("Remember the budget numbers")).to_be_visible()
    reader = member.open(ROOM)
    reader.act("Remember the budget numbers", "Save this message for yourself")
    reader.page.click("#saved-open")
    saved = reader.page.locator("#saved-list li")
    expect(saved).to_have_count(1)
    expect(saved).to_contain_text("Remember the budget numbers")
    saved.get_by_role("link", name="Open").click()
    reader.page.wait_for_url(f"**/chat/{ROOM}/?around=*")
    expect(reader.message("Remember the budget numbers")).to_be_visible()


def test_an_archived_room_refuses_a_post_and_moves_to_archived(people):
    owner, member = people
    watcher = member.open(ROOM)
    watcher.send("last words before the archive")
    expect(watcher.message("last words before the archive")).to_be_visible()
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
    expect(watcher.message("last words before the archive")).to_be_visible()
    expect(watcher.input).to_be_disabled()
    room.page.click("#room-archive")  # brought back
    expect(watcher.page.locator("#archived-notice")).to_be_hidden()
    expect(watcher.input).to_be_enabled()


def test_a_links_preview_appears_under_it_and_its_author_removes_it(people, web_site):
    owner, member = people
    watcher = member.open(ROOM)
    room = owner.open(ROOM)
    room.send(f"The plan: {web_site.base}/page")
    card = watcher.message("The plan:").locator(".link-preview")
    expect(card.locator(".link-preview-title")).to_have_text("Launch plan & timeline")
    expect(card.locator(".link-preview-site")).to_have_text("Example Wiki")
    expect(card.locator(".link-preview-title")).to_have_attribute("href", f"{web_site.base}/page")
    image = card.locator("img.link-preview-image")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(card.get_by_role("button", name="Remove this preview")).to_have_count(0)  # not theirs
    watcher.page.reload()  # history carries it
    expect(watcher.message("The plan:").locator(".link-preview-title")).to_be_visible()
    mine = room.message("The plan:").locator(".link-preview")
    mine.get_by_role("button", name="Remove this preview").click()
    expect(watcher.message("The plan:").locator(".link-preview")).to_have_count(0)


def test_a_thread_opens_from_its_root_with_replies_live_and_counted(people):
    owner, member = people
    asker = owner.open(ROOM)
    asker.send("Which venue for the launch?")
    root = asker.message("Which venue for the launch?")
    expect(root).to_be_visible()
    answerer = member.open(ROOM)
    answerer.act("Which venue for the launch?", "Reply in a thread")
    panel = answerer.page.locator("#thread-panel")
    expect(panel.locator("#thread-root")).to_contain_text("Which venue for the launch?")
    answerer.page.fill("#thread-input", "The rooftop")
    answerer.page.press("#thread-input", "Enter")
    replies = panel.locator("#thread-log li.message:not(.pending) .message-body")
    expect(replies).to_have_text(["The rooftop"])
    expect(answerer.message("The rooftop")).to_have_count(0)  # not in the room's log
    # The asker follows the thread they started: its summary and the Threads count, live.
    expect(root.locator(".thread-summary")).to_contain_text("1 reply")
    expect(asker.page.locator("#threads-count")).to_have_text("1")
    asker.page.click("#threads-open")
    listed = asker.page.locator("#threads-list li")
    expect(listed).to_have_count(1)
    expect(listed.locator(".unread-badge")).to_have_text("1")
    listed.get_by_role("link", name="Open").click()
    asker_panel = asker.page.locator("#thread-panel")
    expect(asker_panel.locator("#thread-log .message-body")).to_have_text(["The rooftop"])
    expect(asker.page.locator("#threads-count")).to_be_hidden()  # read now
    # A reply from the other side arrives in the open panel, in order.
    answerer.page.fill("#thread-input", "Booked for Friday")
    answerer.page.press("#thread-input", "Enter")
    expect(asker_panel.locator("#thread-log li.message:not(.pending) .message-body")).to_have_text(
        ["The rooftop", "Booked for Friday"]
    )
    expect(root.locator(".thread-summary")).to_contain_text("2 replies")
    # A reply also sent to the room shows there too, saying where it belongs.
    answerer.page.fill("#thread-input", "Everyone: the rooftop, Friday")
    answerer.page.check("#thread-also-room")
    answerer.page.press("#thread-input", "Enter")
    copy = asker.message("Everyone: the rooftop, Friday")
    expect(copy.get_by_role("button", name="replied in a thread")).to_be_visible()
    expect(copy.locator(".reply-quote")).to_contain_text("Which venue for the launch?")
