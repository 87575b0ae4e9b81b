"""The page scripts in the reader's language (Django's JavaScript catalog at /jsi18n/),
and times in the person's time zone, in real browsers."""

import datetime
import re
import zoneinfo

from playwright.sync_api import Browser, expect

from e2e.pages import IndexPage, RoomPage, sign_up


def _reader(browser: Browser, base_url: str, locale: str, **options):
    """A browser whose reader asks for pages in ``locale`` (its Accept-Language)."""
    return browser.new_context(base_url=base_url, locale=locale, **options)


def test_a_german_reader_gets_the_room_page_scripts_words_in_german(browser, base_url):
    context = _reader(browser, base_url, "de-DE")
    try:
        room = RoomPage(context.new_page())
        room.page.goto("/chat/sprachen-de/")
        expect(room.status).to_have_text("Verbunden")
        expect(room.presence.filter(has_text="(Sie)")).to_have_count(1)
        room.send("Guten Morgen")
        room.expect_delivered("Guten Morgen")
        expect(room.page.locator("#chat-log li.day-line")).to_have_text(["Heute"])
        expect(room.message("Guten Morgen").locator(".message-time")).to_have_text(
            re.compile(r"^\d{2}:\d{2}$")  # 24 hours, as German is written
        )
        message = room.message("Guten Morgen")
        message.get_by_role("button", name="Aktionen für diese Nachricht").click()
        room.page.get_by_role("menuitem", name="Diese Nachricht bearbeiten").click()
        expect(room.submit).to_have_text("Speichern")
    finally:
        context.close()


def test_an_arabic_reader_gets_them_in_arabic_with_its_plural_forms(browser, base_url):
    context = _reader(browser, base_url, "ar")
    try:
        room = RoomPage(context.new_page())
        room.page.goto("/chat/sprachen-ar/")
        expect(room.status).to_have_text("متصل")
        expect(room.presence.filter(has_text="(أنت)")).to_have_count(1)
        room.send("صباح الخير")
        room.expect_delivered("صباح الخير")
        expect(room.page.locator("#chat-log li.day-line")).to_have_text(["اليوم"])
        # The room list in another tab: one person is in the room (Arabic's "one" form).
        index = IndexPage(context.new_page()).open()
        expect(index.room_entry("sprachen-ar")).to_contain_text("شخص واحد متصل")
    finally:
        context.close()


def test_times_show_in_the_time_zone_of_the_persons_profile(browser, base_url):
    context = _reader(browser, base_url, "en-GB", timezone_id="America/New_York")
    try:
        page = sign_up(context, "tokyo-time")
        page.goto("/profile/")
        page.fill("#time-zone", "Asia/Tokyo")
        page.locator("#profile-form").get_by_role("button", name="Save").click()
        expect(page.locator("#profile-saved")).to_be_visible()
        room = RoomPage(page).open("sprachen-zeit")
        room.send("What time is it?")
        room.expect_delivered("What time is it?")
        time = room.message("What time is it?").locator(".message-time")
        sent = datetime.datetime.fromisoformat(time.get_attribute("datetime"))
        in_tokyo = sent.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
        expect(time).to_have_text(in_tokyo)
    finally:
        context.close()
