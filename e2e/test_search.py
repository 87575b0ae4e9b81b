"""Search in real tabs: a member finds a private room's message, someone else doesn't,
and a result opens the room at that message, among its neighbours."""

import re

import pytest
from playwright.sync_api import Browser, expect

from e2e.pages import TeamRoomPage, sign_up

MEMBER, OUTSIDER = "alice-se", "carol-se"
ROOM = "plans-se"
NEEDLE = "the quarterly roadmap is drafted"


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str):
    contexts = [browser.new_context(base_url=base_url) for _ in range(2)]
    pages = [
        sign_up(context, name) for context, name in zip(contexts, [MEMBER, OUTSIDER], strict=True)
    ]
    room = TeamRoomPage(pages[0]).open("lobby-se")
    room.create_room(ROOM, private=True)
    for text in [NEEDLE, "sounds good", "ship it"]:
        room.send(text)
    room.expect_delivered(NEEDLE, "sounds good", "ship it")
    yield pages
    for context in contexts:
        context.close()


def search(page, query: str):
    page.get_by_role("searchbox", name="Search messages").fill(query)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    return page.locator("#search-results li")


def test_a_member_finds_the_private_rooms_message_and_an_outsider_doesnt(people):
    member, outsider = people
    results = search(member, "quarterly roadmap")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text(ROOM)
    expect(results.first.locator("mark")).to_have_text(["quarterly", "roadmap"])
    expect(search(outsider, "quarterly roadmap")).to_have_count(0)
    expect(outsider.locator("#search-summary")).to_have_text("0 results")


def test_a_result_opens_the_room_at_the_message_in_context(people):
    member, _ = people
    search(member, "roadmap").first.get_by_role("link").click()
    member.wait_for_url(re.compile(rf"/chat/{ROOM}/\?around=1$"))
    room = TeamRoomPage(member)
    found = room.message(NEEDLE)
    expect(found).to_have_class(re.compile(r"\bhighlight\b"))
    expect(found).to_be_focused()
    expect(room.message("sounds good")).to_be_visible()
