"""The chat as an installed app: Chromium finds it installable (a valid manifest, a
service worker with a fetch handler), its icons are what the manifest says, and a room
reopened offline shows the last rooms and says it is offline."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserType, Page, expect

from e2e.pages import RoomPage, signed_up

ANNA, BEN = "anna-app", "ben-app"
ROOMS = ("plans-app", "yard-app")


def service_worker_ready(page: Page) -> str:
    """Wait until the page's service worker is active and controls the page; its scope."""
    return page.evaluate(
        """async () => {
          const registration = await navigator.serviceWorker.ready;
          if (!navigator.serviceWorker.controller) {
            await new Promise((done) =>
              navigator.serviceWorker.addEventListener("controllerchange", done, { once: true }));
          }
          return registration.scope;
        }"""
    )


def room_page_kept(page: Page, path: str) -> None:
    """Wait until the service worker has kept a copy of the room page at ``path``."""
    page.wait_for_function(
        """async (path) => {
          for (const name of await caches.keys()) {
            if (!name.startsWith("chat-pages")) continue;
            const cache = await caches.open(name);
            if (await cache.match(location.origin + path)) return true;
          }
          return false;
        }""",
        arg=path,
        polling=100,
    )


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str):
    with signed_up(browser, base_url, (ANNA, BEN)) as people:
        yield people


def test_chromium_finds_the_site_installable(
    browser_type: BrowserType, browser_type_launch_args: dict, base_url: str, tmp_path
):
    # A profile on disk: Chromium installs nothing from an incognito one (a new context's).
    context = browser_type.launch_persistent_context(
        tmp_path / "profile", **browser_type_launch_args, base_url=base_url
    )
    try:
        page = context.new_page()
        RoomPage(page).open("lobby-app")
        assert urlsplit(service_worker_ready(page)).path == "/"
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == base_url + "/manifest.webmanifest"
        assert manifest["errors"] == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_the_manifest_names_the_app_and_its_icons_load_at_their_sizes(page: Page):
    page.goto("/accounts/login/")
    response = page.request.get("/manifest.webmanifest")
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["name"], manifest["display"], manifest["start_url"]) == (
        "Chat",
        "standalone",
        "/chat/",
    )
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in manifest["icons"]:
        loaded = page.evaluate(
            """(src) => new Promise((done, failed) => {
              const image = new Image();
              image.onload = () => done(image.naturalWidth + "x" + image.naturalHeight);
              image.onerror = () => failed(new Error("no image at " + src));
              image.src = src;
            })""",
            icon["src"],
        )
        assert loaded == icon["sizes"]
    light, dark = page.locator('meta[name="theme-color"]').all()
    assert light.get_attribute("media") == "(prefers-color-scheme: light)"
    assert dark.get_attribute("media") == "(prefers-color-scheme: dark)"


def test_every_page_registers_the_service_worker(page: Page):
    page.goto("/accounts/login/")
    assert urlsplit(service_worker_ready(page)).path == "/"


def test_a_room_reopened_offline_shows_the_last_rooms_and_says_it_is_offline(people):
    anna = people[0]
    room = anna.room
    for name in ROOMS:
        room.create_room(name, private=False)
    service_worker_ready(anna.page)
    room_page_kept(anna.page, f"/chat/{ROOMS[-1]}/")
    expect(room.offline_notice).to_be_hidden()

    anna.context.set_offline(True)
    try:
        anna.page.reload()
        expect(room.offline_notice).to_be_visible()
        expect(room.offline_notice).to_contain_text("You are offline")
        expect(room.title).to_have_text(ROOMS[-1])
        for name in (*ROOMS, "general"):
            expect(room.sidebar_entry(name)).to_be_visible()
        expect(room.status).not_to_have_attribute("data-state", "open")
    finally:
        anna.context.set_offline(False)
    # Back online, the kept copy connects and is live again.
    room.expect_connected()
    expect(room.offline_notice).to_be_hidden()


def test_a_page_never_kept_answers_offline_with_a_link_to_the_last_room(people):
    anna = people[0]
    room = anna.open(ROOMS[0])
    service_worker_ready(anna.page)
    room_page_kept(anna.page, f"/chat/{ROOMS[0]}/")
    anna.context.set_offline(True)
    try:
        anna.page.goto("/chat/")  # the room list: never kept
        expect(anna.page.get_by_role("heading", name="You are offline")).to_be_visible()
        last = anna.page.locator("#offline-rooms a").first
        expect(last).to_have_text(ROOMS[0])
        last.click()
        anna.page.wait_for_url(f"**/chat/{ROOMS[0]}/")
        expect(room.title).to_have_text(ROOMS[0])
        expect(room.offline_notice).to_be_visible()
    finally:
        anna.context.set_offline(False)
    room.expect_connected()


def test_logging_out_drops_the_kept_pages(people):
    ben = people[1]
    room = ben.open("general")
    service_worker_ready(ben.page)
    room_page_kept(ben.page, "/chat/general/")
    ben.page.locator("#logout-button").click()
    ben.page.wait_for_load_state()
    kept = ben.page.evaluate(
        """async () => {
          const names = (await caches.keys()).filter((name) => name.startsWith("chat-pages"));
          let count = 0;
          for (const name of names) count += (await (await caches.open(name)).keys()).length;
          return count;
        }"""
    )
    assert kept == 0
    expect(room.page.locator("#logout-button")).to_have_count(0)
