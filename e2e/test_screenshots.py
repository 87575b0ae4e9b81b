"""The page on a desktop and on a phone: no sideways scrolling, and screenshots for
the README taken from a real conversation (written to docs/screenshots only by
``invoke docs.screenshots``, which sets ``CHAT_SCREENSHOTS_DIR``; elsewhere to the
test's own folder, so a test run leaves the checkout as it was)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from e2e.pages import GuestNamePage, IndexPage, RoomPage

DESKTOP = {"width": 1100, "height": 680}
PHONE = {"width": 360, "height": 740}


def _person(browser: Browser, base_url: str, name: str, viewport: dict) -> RoomPage:
    context = browser.new_context(base_url=base_url, viewport=viewport)
    page = context.new_page()
    GuestNamePage(page).choose(name)
    return RoomPage(page)


def _has_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.fixture
def conversation(browser: Browser, base_url: str, request):
    """Amélie (desktop) and Kenji (phone) in a room of the test's own, after a few messages."""
    # A guest's name stays theirs, so each test's pair of guests has names of its own.
    if "screenshot" in request.node.name:
        room, names = "café-terrasse", ("Amélie", "Kenji")
    else:
        room, names = "café-étroit", ("Amélie E", "Kenji E")
    amelie = _person(browser, base_url, names[0], DESKTOP).open(room)
    kenji = _person(browser, base_url, names[1], PHONE).open(room)
    lines = [
        (amelie, "Bonjour ! Who is around?"),
        (kenji, "Here — 日本語 and Ελληνικά work too."),
        (amelie, "<b>this stays plain text</b>"),
        (kenji, "A long line wraps instead of pushing the page sideways: " + "x" * 80),
    ]
    for speaker, text in lines:
        speaker.send(text)
    for person in (amelie, kenji):
        person.expect_delivered(*(text for _, text in lines))
        person.expect_people("Amélie", "Kenji")
    yield amelie, kenji
    amelie.page.context.close()
    kenji.page.context.close()


def test_no_horizontal_scroll_on_a_360_px_phone(conversation, browser: Browser, base_url: str):
    _, kenji = conversation
    assert not _has_horizontal_scroll(kenji.page)
    index = IndexPage(kenji.page.context.new_page()).open()
    expect(index.room_entry("café-étroit")).to_be_visible()
    assert not _has_horizontal_scroll(index.page)


def test_screenshots_for_the_readme(conversation, tmp_path):
    amelie, kenji = conversation
    kenji.type_without_sending("typing…")
    expect(amelie.typing).to_have_text("Kenji is typing…")
    folder = Path(os.environ.get("CHAT_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for person, name in ((amelie, "room-desktop.png"), (kenji, "room-mobile.png")):
        path = folder / name
        person.page.screenshot(path=path)
        assert path.stat().st_size > 0
