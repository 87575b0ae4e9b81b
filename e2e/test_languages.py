"""Pages in the reader's language, in real browsers: German left to right, Arabic right to
left with the layout mirrored, and the account menu's language switcher."""

from playwright.sync_api import Browser, expect

from e2e.pages import RoomPage, sign_up


def _reader(browser: Browser, base_url: str, locale: str):
    """A browser whose reader asks for pages in ``locale`` (its Accept-Language)."""
    return browser.new_context(base_url=base_url, locale=locale)


def _box(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


def test_a_german_reader_gets_the_pages_in_german_left_to_right(browser, base_url):
    context = _reader(browser, base_url, "de-DE")
    try:
        page = context.new_page()
        page.goto("/chat/")
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.locator("html")).to_have_attribute("dir", "ltr")
        expect(page.get_by_role("heading", level=1)).to_have_text("Raum wählen")
        room = RoomPage(page).open("sprachen-links")
        expect(room.submit).to_have_text("Senden")
        expect(room.input).to_have_attribute("placeholder", "Nachricht schreiben…")
        assert _box(page, "#sidebar")["x"] < _box(page, "#conversation")["x"]
    finally:
        context.close()


def test_an_arabic_reader_gets_the_page_right_to_left_and_mirrored(browser, base_url):
    context = _reader(browser, base_url, "ar")
    try:
        page = context.new_page()
        room = RoomPage(page).open("sprachen-يمين")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        expect(room.submit).to_have_text("إرسال")
        sidebar, conversation = _box(page, "#sidebar"), _box(page, "#conversation")
        presence = _box(page, ".presence-panel")
        # The rooms on the right, then the conversation, then who is here on the left.
        assert sidebar["x"] > conversation["x"] > presence["x"]
        # In the composer the text field comes first, on the right; Send is left of it.
        assert _box(page, "#chat-message-submit")["x"] < _box(page, "#chat-message-input")["x"]
        room.send("مرحبا")
        room.expect_delivered("مرحبا")
        # Your own messages keep to the end of the line: the left, right to left.
        bubble = _box(page, "#chat-log li.message.mine")
        log = _box(page, "#chat-log")
        assert bubble["x"] - log["x"] < (log["x"] + log["width"]) - (bubble["x"] + bubble["width"])
    finally:
        context.close()


def test_the_switcher_changes_the_language_and_keeps_it_on_the_profile(browser, base_url):
    context = _reader(browser, base_url, "en-US")
    other = _reader(browser, base_url, "en-US")
    try:
        page = sign_up(context, "sprach-wechsel")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.select_option("#language-select", "de")
        page.get_by_role("button", name="Change language").click()
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page).to_have_url(f"{base_url}/chat/general/?welcome=1")
        expect(page.locator("#logout-button")).to_have_text("Abmelden")
        # Another browser, still asking for English: the profile says German.
        login = other.new_page()
        login.goto("/accounts/login/")
        login.fill("#id_login", "sprach-wechsel")
        login.fill("#id_password", "a-long-passphrase-1")
        login.get_by_role("button", name="Log in").click()
        login.wait_for_url("**/chat/**")
        expect(login.locator("html")).to_have_attribute("lang", "de")
        expect(login.locator("#profile-link")).to_have_text("Profil")
    finally:
        context.close()
        other.close()
