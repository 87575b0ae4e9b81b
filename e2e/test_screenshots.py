"""Screenshots of the running chat for the README, taken from a real conversation."""

from pathlib import Path

from playwright.sync_api import Browser

from e2e.pages import RoomPage

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def test_a_conversation_is_captured_for_the_readme(browser: Browser, base_url: str):
    context = browser.new_context(base_url=base_url, viewport={"width": 1000, "height": 640})
    try:
        alice = RoomPage(context.new_page()).open("café-terrasse")
        bob = RoomPage(context.new_page()).open("café-terrasse")
        lines = [
            "Bonjour ! Who is around?",
            "Here — 日本語 and Ελληνικά work too.",
            "<b>not bold</b>",
        ]
        for speaker, text in zip([alice, bob, alice], lines, strict=True):
            speaker.send(text)
        alice.expect_messages(*lines)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / "room.png"
        alice.page.screenshot(path=path)
        assert path.stat().st_size > 0
    finally:
        context.close()
