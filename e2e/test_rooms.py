"""Chatting in rooms, as people do it: several tabs and browsers."""

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e.pages import IndexPage, RoomPage, tabs


def test_two_tabs_in_a_room_see_each_others_messages(context: BrowserContext):
    first, second = tabs(context, "tabs")
    first.send("from the first tab")
    second.send_with_button("from the second tab")
    first.expect_messages("from the first tab", "from the second tab")
    second.expect_messages("from the first tab", "from the second tab")


def test_a_tab_in_another_room_sees_nothing(context: BrowserContext):
    here = RoomPage(context.new_page()).open("here")
    there = RoomPage(context.new_page()).open("there")
    here.send("only for here")
    here.expect_messages("only for here")
    there.send("only for there")
    there.expect_messages("only for there")
    here.expect_messages("only for here")


def test_two_people_in_separate_browsers_chat(browser: Browser, base_url: str):
    alice_context = browser.new_context(base_url=base_url)
    bob_context = browser.new_context(base_url=base_url)
    try:
        alice = RoomPage(alice_context.new_page()).open("people")
        bob = RoomPage(bob_context.new_page()).open("people")
        alice.send("hi bob")
        bob.expect_messages("hi bob")
        bob.send("hi alice")
        alice.expect_messages("hi bob", "hi alice")
    finally:
        alice_context.close()
        bob_context.close()


def test_enter_on_the_index_goes_to_the_room(page: Page):
    IndexPage(page).open().enter_room_with_enter_key("lobby")
    expect(page).to_have_url(re.compile(r"/chat/lobby/$"))
    RoomPage(page).expect_connected()


def test_the_index_explains_a_bad_room_name(page: Page):
    index = IndexPage(page).open()
    index.enter_room_with_enter_key("no spaces please")
    expect(index.error).to_contain_text("spaces can't be used")
    expect(index.room_input).to_have_value("no spaces please")


@pytest.mark.parametrize("room", ["café", "日本語", "Ελληνικά", "dev-ops_2"])
def test_unicode_room_names_work(context: BrowserContext, room: str):
    index = IndexPage(context.new_page()).open()
    index.enter_room_with_enter_key(room)
    speaker = RoomPage(index.page)
    expect(speaker.title).to_have_text(room)
    speaker.expect_connected()
    listener = RoomPage(context.new_page()).open(room)
    speaker.send(f"hello from {room}")
    listener.expect_messages(f"hello from {room}")


def test_html_in_a_message_is_shown_as_text(context: BrowserContext):
    sender, receiver = tabs(context, "html")
    payload = "<img src=x onerror=alert(1)>"
    sender.send(payload)
    receiver.expect_messages(payload)
    expect(receiver.log.locator(".message-body img")).to_have_count(0)  # only avatars
    expect(receiver.log.locator("img:not(.avatar)")).to_have_count(0)


def test_a_bad_room_url_shows_a_readable_page(page: Page):
    response = page.goto("/chat/semi;colon/")
    assert response.status == 400
    expect(page.locator("h1")).to_have_text("That is not a room name")


def test_a_path_with_slashes_shows_a_readable_404(page: Page):
    response = page.goto("/chat/a/b/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")


def test_a_message_in_hebrew_is_laid_out_right_to_left(context: BrowserContext):
    room = RoomPage(context.new_page()).open("rtl")
    room.send("שלום לכולם")
    room.expect_delivered("שלום לכולם")
    body = room.messages.first
    expect(body).to_have_attribute("dir", "auto")
    paragraph = body.locator("p")  # each block takes its direction from its own text
    expect(paragraph).to_have_attribute("dir", "auto")
    assert paragraph.evaluate("node => getComputedStyle(node).direction") == "rtl"
