"""Live rooms: who is online, who is typing, the directory, deletions, flood control."""

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from e2e.pages import IndexPage, RoomPage, guest_browsers, tabs


@pytest.fixture(scope="module")
def alice_and_bob(browser: Browser, base_url: str):
    """Two people, each in a browser of their own, as guests named Alice and Bob (once for
    the module: a guest's name stays theirs)."""
    with guest_browsers(browser, base_url, ("Alice", "Bob")) as contexts:
        yield contexts


def _both_in(alice_and_bob, room: str) -> tuple[RoomPage, RoomPage]:
    """Alice and Bob, each with a tab open in ``room``."""
    alice_browser, bob_browser = alice_and_bob
    return (
        RoomPage(alice_browser.new_page()).open(room),
        RoomPage(bob_browser.new_page()).open(room),
    )


def test_people_see_each_other_once_and_leaving_updates_the_list(alice_and_bob):
    alice_browser, bob_browser = alice_and_bob
    alice = RoomPage(alice_browser.new_page()).open("presence")
    bob = RoomPage(bob_browser.new_page()).open("presence")
    alice.expect_people("Alice", "Bob")
    bob.expect_people("Alice", "Bob")
    second_tab = RoomPage(bob_browser.new_page()).open("presence")
    second_tab.expect_people("Alice", "Bob")
    alice.expect_people("Alice", "Bob")  # two tabs of Bob count once
    second_tab.page.close()
    alice.expect_people("Alice", "Bob")  # Bob still has a tab open
    bob.page.close()
    alice.expect_people("Alice")


def test_typing_shows_to_others_and_clears_when_sent(alice_and_bob):
    alice, bob = _both_in(alice_and_bob, "typing")
    alice.type_without_sending("hello the")
    expect(bob.typing).to_have_text("Alice is typing…")
    expect(alice.typing).to_have_text("")
    alice.input.press("Enter")
    bob.expect_delivered("hello the")
    expect(bob.typing).to_have_text("")


def test_typing_expires_on_its_own(alice_and_bob):
    alice, bob = _both_in(alice_and_bob, "typing-expiry")
    alice.type_without_sending("thinking")
    expect(bob.typing).to_have_text("Alice is typing…")
    expect(bob.typing).to_have_text("", timeout=8000)


def test_the_directory_lists_a_room_with_its_online_count(context: BrowserContext):
    room = RoomPage(context.new_page()).open("directory-room")
    room.send("anyone?")
    room.expect_delivered("anyone?")
    index = IndexPage(context.new_page()).open()
    entry = index.room_entry("directory-room")
    expect(entry).to_contain_text("1 online")
    expect(entry.locator("a")).to_have_attribute("href", "/chat/directory-room/")
    room.page.close()
    expect(entry).to_contain_text("0 online", timeout=10000)


def test_a_deleted_message_disappears_in_the_other_tab(context: BrowserContext):
    author, reader = tabs(context, "deleting")
    author.send("keep me")
    author.send("regret this")
    reader.expect_delivered("keep me", "regret this")
    author.delete("regret this")
    reader.expect_delivered("keep me")
    author.expect_delivered("keep me")
    reader.reload()
    reader.expect_delivered("keep me")


def test_delete_asks_first_and_keeps_the_message_when_told_no(context: BrowserContext):
    author, reader = tabs(context, "deleting-asks")
    author.send("second thoughts")
    reader.expect_delivered("second thoughts")
    asked = []

    def say_no(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    author.page.once("dialog", say_no)
    author.act("second thoughts", "Delete this message")
    expect(author.message("second thoughts")).to_be_visible()
    assert asked == ["Delete your message for everyone? This can't be undone."]
    author.send("and more")
    reader.expect_delivered("second thoughts", "and more")  # nothing was deleted


def test_others_messages_have_no_delete_button(alice_and_bob):
    alice, bob = _both_in(alice_and_bob, "no-delete")
    alice.send("mine")
    bob.expect_delivered("mine")
    # Others may reply (there or in a thread) and react to it; nothing else.
    expect(bob.actions("mine").get_by_role("menuitem")).to_have_text(
        ["Reply", "Reply in thread", "React…"]
    )
    delete = alice.actions("mine").get_by_role("menuitem", name="Delete this message")
    expect(delete).to_be_visible()


def test_flooding_shows_the_rate_limit_notice_and_loses_nothing(page):
    room = RoomPage(page).open("flood")
    texts = [f"flood {n}" for n in range(30)]
    for text in texts:
        room.send(text)
    expect(room.error).to_contain_text(re.compile(r"too fast; wait \d"))
    expect(room.messages).to_have_text(texts, timeout=15_000)  # retried, none lost
    expect(room.pending).to_have_count(0)
    expect(room.error).to_be_hidden()  # the notice goes once they are all sent
