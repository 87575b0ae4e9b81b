"""The room page by keyboard alone: the quick switcher (Ctrl+K), the previous and next
room (Alt+↑/↓, with Shift the unread ones), Esc marking the room read, ↑ editing one's
last message, and ? listing the shortcuts. The set-up uses the page's own controls and
API; every step under test is a key press."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from e2e.pages import TeamRoomPage, signed_up

KIM, LEE = "kim-kb", "lee-kb"
ALPHA, BETA, GAMMA = "alpha-kb", "beta-kb", "gamma-kb"  # the sidebar's order, by title


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str):
    with signed_up(browser, base_url, (KIM, LEE)) as people:
        kim = people[0]
        for name in (ALPHA, BETA, GAMMA):
            kim.room.create_room(name, private=False)
        yield people


def at(room: TeamRoomPage, name: str) -> None:
    """The page is room ``name``'s, connected, with the message box focused."""
    room.page.wait_for_url(f"**/chat/{quote(name)}/")
    expect(room.title).to_have_text(name)
    room.expect_connected()
    expect(room.input).to_be_focused()


def test_ctrl_k_finds_a_room_by_a_few_letters_and_enter_opens_it(people):
    room = people[0].open(ALPHA)
    room.page.keyboard.press("Control+k")
    expect(room.switcher).to_be_visible()
    expect(room.switcher_input).to_be_focused()
    room.page.keyboard.type("gmkb")
    first = room.switcher_options.first
    expect(first).to_contain_text(GAMMA)
    room.expect_chosen(first)
    room.page.keyboard.press("Enter")
    at(room, GAMMA)


def test_arrows_choose_in_the_switcher_and_esc_gives_the_focus_back(people):
    room = people[0].open(ALPHA)
    room.page.keyboard.press("Control+k")
    room.page.keyboard.type("kb")
    room.expect_chosen(room.switcher_options.nth(0))
    room.page.keyboard.press("ArrowDown")
    room.expect_chosen(room.switcher_options.nth(1))
    room.page.keyboard.press("Escape")
    expect(room.switcher).to_be_hidden()
    expect(room.input).to_be_focused()
    expect(room.input).to_have_value("")  # the box didn't get the keys


def test_the_switcher_opens_a_direct_message_with_a_person(people):
    room = people[0].open(ALPHA)
    room.page.keyboard.press("Control+k")
    room.page.keyboard.type(LEE)
    person = room.switcher_options.filter(has_text=f"person, @{LEE}")
    expect(person).to_have_attribute("aria-selected", "true")
    room.page.keyboard.press("Enter")
    room.page.wait_for_url("**/chat/dm-*/")
    expect(room.title).to_have_text(LEE)
    room.expect_connected()


def test_alt_arrows_go_to_the_previous_and_next_room_of_the_sidebar(people):
    room = people[0].open(BETA)
    room.page.keyboard.press("Alt+ArrowDown")
    at(room, GAMMA)
    room.page.keyboard.press("Alt+ArrowUp")
    at(room, BETA)
    room.page.keyboard.press("Alt+ArrowUp")
    at(room, ALPHA)


def test_alt_arrows_leave_a_message_being_written_alone(people):
    room = people[0].open(BETA)
    room.page.keyboard.type("half a thought")
    room.page.keyboard.press("Alt+ArrowDown")
    expect(room.input).to_have_value("half a thought")
    expect(room.title).to_have_text(BETA)
    room.input.fill("")


def test_alt_shift_arrows_go_to_the_next_room_with_unread_messages(people):
    kim, lee = people
    room = kim.open(ALPHA)
    lee.open(GAMMA).send("news for the unread hop")
    expect(room.sidebar_entry(GAMMA)).to_have_attribute("aria-label", re.compile(r"1 unread"))
    room.page.keyboard.press("Alt+Shift+ArrowDown")  # past beta, nothing unread there
    at(room, GAMMA)
    expect(room.sidebar_entry(GAMMA)).to_have_attribute("aria-label", GAMMA)


def test_esc_in_the_message_box_marks_the_room_read(people):
    kim, lee = people
    lee.open(BETA).send("one for esc")
    room = kim.open(BETA)
    room.expect_delivered("one for esc")
    # Scrolled or not, it is read once seen; "Mark unread" puts it back (set-up).
    room.page.evaluate(
        """async (room) => {
          const csrf = JSON.parse(document.getElementById("csrf-token").textContent);
          await fetch(`/api/rooms/${room}/read/`, {
            method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
            body: JSON.stringify({ seq: 0 }),
          });
        }""",
        BETA,
    )
    expect(room.sidebar_entry(BETA)).to_have_attribute("aria-label", re.compile(r"unread"))
    expect(room.input).to_be_focused()
    room.page.keyboard.press("Escape")
    expect(room.sidebar_entry(BETA)).to_have_attribute("aria-label", BETA)


def test_up_in_the_empty_box_edits_my_last_message_and_esc_cancels_first(people):
    room = people[0].open(GAMMA)
    room.send("first words")
    room.send("second words")
    room.expect_delivered("news for the unread hop", "first words", "second words")
    room.page.keyboard.type("x")
    room.page.keyboard.press("ArrowUp")  # the box has text: the caret's key
    expect(room.editing).to_be_hidden()
    room.page.keyboard.press("End")
    room.page.keyboard.press("Backspace")
    room.page.keyboard.press("ArrowUp")
    expect(room.editing).to_be_visible()
    expect(room.input).to_have_value("second words")
    room.page.keyboard.press("Escape")  # cancels the edit, marks nothing
    expect(room.editing).to_be_hidden()
    expect(room.input).to_have_value("")
    room.page.keyboard.press("ArrowUp")
    room.page.keyboard.press("End")
    room.page.keyboard.type(", edited")
    room.page.keyboard.press("Enter")
    room.expect_delivered("news for the unread hop", "first words", "second words, edited")


def test_question_mark_lists_every_shortcut_outside_text_fields(people):
    room = people[0].open(ALPHA)
    room.page.keyboard.press("?")
    expect(room.input).to_have_value("?")  # in the box, it is a character
    expect(room.shortcuts).to_be_hidden()
    room.page.keyboard.press("Backspace")
    room.log.focus()
    room.page.keyboard.press("?")
    dialog = room.page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for keys in ("Ctrl+K or ⌘K", "Alt+↑, Alt+↓", "Alt+Shift+↑, Alt+Shift+↓", "Esc", "↑", "?"):
        expect(dialog.locator("kbd", has_text=keys).first).to_be_visible()
    room.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(room.log).to_be_focused()
