"""Accessibility: axe-core finds no violation on the main screens, light and dark."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from e2e.pages import GuestNamePage, IndexPage, RoomPage

AXE = Axe()
SCHEMES = ["light", "dark"]


def assert_no_violations(page: Page) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture(params=SCHEMES)
def scheme_context(browser: Browser, base_url: str, request):
    context = browser.new_context(base_url=base_url, color_scheme=request.param)
    yield context
    context.close()


def _guest(context, name: str) -> Page:
    page = context.new_page()
    GuestNamePage(page).choose(name)
    return page


def test_the_index_with_its_directory(scheme_context, seed_messages):
    seed_messages("axe-directory", ["hello"])
    index = IndexPage(scheme_context.new_page()).open()
    expect(index.room_entry("axe-directory")).to_be_visible()
    assert_no_violations(index.page)


def test_the_index_with_a_bad_room_name(scheme_context):
    index = IndexPage(scheme_context.new_page()).open()
    index.enter_room_with_enter_key("bad/name")
    expect(index.error).to_be_visible()
    assert_no_violations(index.page)


def test_a_room_with_messages_from_you_and_others(
    scheme_context, browser: Browser, base_url: str, request
):
    scheme = request.node.callspec.params["scheme_context"]
    room_name = f"axe-room-{scheme}"
    other_context = browser.new_context(base_url=base_url)
    # Names of their own: a guest name stays taken by whoever first used it.
    other = RoomPage(_guest(other_context, f"Kenji-{scheme}")).open(room_name)
    me = RoomPage(_guest(scheme_context, f"Amélie-{scheme}")).open(room_name)
    other.send("Bonjour, with a link-like text: https://example.com")
    me.send("Hello back")
    me.expect_delivered("Bonjour, with a link-like text: https://example.com", "Hello back")
    other.type_without_sending("typing")
    expect(me.typing).to_have_text(f"Kenji-{scheme} is typing…")
    me.expect_people(f"Amélie-{scheme}", f"Kenji-{scheme}")
    assert_no_violations(me.page)
    other_context.close()


def test_a_room_while_disconnected_with_a_pending_message(scheme_context, start_server):
    server = start_server()
    page = scheme_context.new_page()
    page.goto(server.base_url + "/chat/axe-offline/")
    room = RoomPage(page)
    room.expect_connected()
    server.stop()
    expect(room.status).to_have_attribute("data-state", "closed")
    room.send("written offline")
    expect(room.pending).to_have_count(1)
    assert_no_violations(room.page)


def test_a_room_showing_an_error(scheme_context, request):
    room = RoomPage(scheme_context.new_page()).open(f"axe-error-{request.node.callspec.id}")
    room.send("x" * 5000)
    expect(room.error).to_contain_text("the limit is 4,000")
    assert_no_violations(room.page)


ACCOUNT_FORMS = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/name/",
    "/accounts/password/reset/",
]


@pytest.mark.parametrize("path", ACCOUNT_FORMS)
def test_the_account_forms(scheme_context, path: str):
    page = scheme_context.new_page()
    page.goto(path)
    assert_no_violations(page)


def test_a_bad_room_page(scheme_context):
    page = scheme_context.new_page()
    page.goto("/chat/bad%2Fname/")
    assert_no_violations(page)


def test_the_log_out_page(scheme_context, request):
    page = scheme_context.new_page()
    page.goto("/accounts/signup/")
    page.fill("#id_username", f"axe-{request.node.callspec.id}")
    page.fill("#id_password1", "a-long-passphrase-1")
    page.fill("#id_password2", "a-long-passphrase-1")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/chat/general/?welcome=1")
    page.goto("/accounts/logout/")
    expect(page.get_by_role("button", name="Log out")).to_have_count(2)  # header and page
    assert_no_violations(page)
