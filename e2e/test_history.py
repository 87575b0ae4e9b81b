"""Rooms remember: history on load, late joiners, and no message lost or doubled
when the server or Redis restarts mid-conversation."""

import re

from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e.pages import GuestNamePage, RoomPage, tabs


def test_reloading_shows_the_history(page: Page):
    room = RoomPage(page).open("reload")
    room.send("first")
    room.send("second")
    room.expect_delivered("first", "second")
    room.reload()
    room.expect_delivered("first", "second")


def test_a_late_joiner_sees_earlier_messages(browser: Browser, base_url: str):
    early = browser.new_context(base_url=base_url)
    late = browser.new_context(base_url=base_url)
    try:
        first = RoomPage(early.new_page()).open("late")
        first.send("said before you came")
        first.expect_delivered("said before you came")
        RoomPage(late.new_page()).open("late").expect_delivered("said before you came")
    finally:
        early.close()
        late.close()


def test_messages_show_their_author_and_time(page: Page):
    room = RoomPage(page).open("authors")
    room.send("signed")
    room.expect_delivered("signed")
    expect(room.authors).to_have_text([re.compile(r"^guest-\d{4}$")])
    expect(room.items.locator("time")).to_have_attribute("datetime", re.compile(r"Z$"))


def test_a_guest_name_shows_and_survives_a_reload(page: Page):
    room = RoomPage(page).open("guestname")
    name = room.identity_name.inner_text()
    assert re.fullmatch(r"guest-\d{4}", name)
    room.send("who am I")
    expect(room.authors).to_have_text([name])
    room.reload()
    expect(room.identity_name).to_have_text(name)
    expect(room.authors).to_have_text([name])


def test_a_guest_can_change_their_name(context: BrowserContext):
    room, other_tab = tabs(context, "rename")
    room.identity_name.click()
    GuestNamePage(room.page).name.fill("Zoë")
    GuestNamePage(room.page).save.click()
    room.expect_connected()
    expect(room.identity_name).to_have_text("Zoë")
    expect(other_tab.identity_name).to_have_text("Zoë")
    other_tab.send("renamed")
    expect(room.authors).to_have_text(["Zoë"])


def test_scrolling_up_loads_older_messages(page: Page, seed_messages):
    texts = [f"message {n}" for n in range(1, 121)]
    seed_messages("long", texts)
    room = RoomPage(page).open("long")
    room.expect_delivered(*texts[70:])  # the last 50 come with the page
    room.scroll_to_top()
    room.expect_delivered(*texts[20:])  # fifty more
    room.scroll_to_top()
    room.expect_delivered(*texts)


def test_a_server_restart_loses_and_doubles_nothing(
    context: BrowserContext, browser: Browser, base_url: str, chat_server
):
    first, second = tabs(context, "restart")
    first.send("before the restart")
    second.expect_delivered("before the restart")

    chat_server.stop()
    expect(first.status).to_have_attribute("data-state", "closed")
    first.send("typed during the outage")
    expect(first.pending).to_have_count(1)
    chat_server.start()

    first.expect_connected()
    second.expect_connected()
    third_context = browser.new_context(base_url=base_url)
    try:
        third = RoomPage(third_context.new_page()).open("restart")
        third.send("right after the restart")
        expected = ["before the restart", "typed during the outage", "right after the restart"]
        for tab in (first, second, third):
            tab.expect_delivered(*expected)
    finally:
        third_context.close()


def test_a_redis_restart_loses_nothing(context: BrowserContext, redis_server):
    first, second = tabs(context, "redis-restart")
    first.send("one")
    second.expect_delivered("one")

    redis_server.stop()
    first.send("two, while Redis is down")
    first.expect_delivered("one", "two, while Redis is down")
    redis_server.start()

    second.expect_delivered("one", "two, while Redis is down")
    second.send("three")
    for tab in (first, second):
        tab.expect_delivered("one", "two, while Redis is down", "three")
