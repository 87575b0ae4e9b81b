"""Screenshots of the running chat for the README, taken from a real conversation."""

from pathlib import Path

from playwright.sync_api import Browser, expect

from e2e.pages import RoomPage

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def _person(browser: Browser, base_url: str, name: str, room: str) -> RoomPage:
    context = browser.new_context(base_url=base_url, viewport={"width": 1000, "height": 640})
    page = context.new_page()
    page.goto("/accounts/name/")
    page.locator("#id_name").fill(name)
    page.locator("#guest-name-submit").click()
    return RoomPage(page).open(room)


def test_a_conversation_is_captured_for_the_readme(browser: Browser, base_url: str):
    amelie = _person(browser, base_url, "Amélie", "café-terrasse")
    kenji = _person(browser, base_url, "Kenji", "café-terrasse")
    try:
        lines = [
            (amelie, "Bonjour ! Who is around?"),
            (kenji, "Here — 日本語 and Ελληνικά work too."),
            (amelie, "<b>this stays plain text</b>"),
        ]
        for speaker, text in lines:
            speaker.send(text)
        amelie.expect_delivered(*(text for _, text in lines))
        expect(amelie.authors).to_have_text(["Amélie", "Kenji", "Amélie"])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / "room.png"
        amelie.page.screenshot(path=path)
        assert path.stat().st_size > 0
    finally:
        amelie.page.context.close()
        kenji.page.context.close()
