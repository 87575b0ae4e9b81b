"""People and attention in real browsers: a display name in Arabic shown right to left,
an avatar upload, a status with an end seen live by another person, a person's card,
@all asking before notifying many, a group mention, a room set to notify of nothing,
marking a message unread, and a DM's Do Not Disturb notice."""

import io
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.pages import TeamRoomPage, signed_up

LAYLA, OMAR = "layla-at", "omar-at"
ROOM = "attention-at"
ARABIC = "ليلى أحمد"


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str):
    with signed_up(browser, base_url, (LAYLA, OMAR)) as people:
        yield people


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 200), "#cc3366").save(out, format="PNG")
    return out.getvalue()


def _profile_save(page: Page, **fields: str) -> None:
    page.goto("/profile/")
    for field, value in fields.items():
        page.fill(f"#{field}", value)
    page.locator("#profile-form").get_by_role("button", name="Save").click()
    expect(page.locator("#profile-saved")).to_be_visible()


def test_a_display_name_in_arabic_shows_right_to_left_on_messages(people):
    layla, omar = people
    _profile_save(layla.page, **{"display-name": ARABIC, "time-zone": "Asia/Beirut"})
    room = layla.open(ROOM)
    room.send("مرحبا بالجميع")
    watcher = omar.open(ROOM)
    author = watcher.page.locator("#chat-log li.message .message-author").last
    expect(author).to_have_text(ARABIC)
    expect(author).to_have_attribute("dir", "auto")
    expect(author).to_have_attribute("title", f"@{LAYLA}")
    direction = author.evaluate("node => getComputedStyle(node).direction")
    assert direction == "rtl"


def test_an_uploaded_avatar_shows_on_the_profile_and_messages(people):
    layla, omar = people
    page = layla.page
    page.goto("/profile/")
    page.set_input_files("#avatar-file", files=[
        {"name": "me.png", "mimeType": "image/png", "buffer": _png()}
    ])  # fmt: skip
    page.locator("#avatar-form").get_by_role("button", name="Upload").click()
    expect(page.locator("#profile-saved")).to_be_visible()
    expect(page.locator("#profile-avatar")).to_have_attribute("src", re.compile(r"\?v=\w+"))
    size = page.locator("#profile-avatar").evaluate("img => img.naturalWidth")
    assert size == 256
    room = omar.open(ROOM)
    avatar = room.page.locator("#chat-log li.message .avatar").last
    expect(avatar).to_have_attribute("src", f"/avatars/{LAYLA}/64/")
    avatar.scroll_into_view_if_needed()
    room.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=avatar.element_handle()
    )
    assert avatar.evaluate("img => img.naturalWidth") == 64


def test_a_status_with_an_end_is_seen_live_and_disappears_by_itself(people):
    layla, omar = people
    watcher = omar.open(ROOM)
    layla.open(ROOM)
    entry = watcher.presence.filter(has_text=ARABIC)
    expect(entry).to_have_count(1)
    # Set through the API with an end a few seconds ahead: no waiting on the page's menus.
    layla.page.evaluate(
        """async () => {
          const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
          const ends = new Date(Date.now() + 4000).toISOString();
          const response = await fetch("/api/me/", {
            method: "PATCH", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
            body: JSON.stringify({status: {emoji: "🎧", text: "Focusing", expires_at: ends}}),
          });
          if (!response.ok) throw new Error(await response.text());
        }"""
    )
    expect(entry.locator(".status-line")).to_have_text("🎧 Focusing")
    expect(entry.locator(".status-line")).to_have_count(0, timeout=10_000)


def test_a_name_opens_the_persons_card_with_their_local_time(people):
    layla, omar = people
    room = omar.open(ROOM)
    room.page.locator("#chat-log .message-author", has_text=ARABIC).last.click()
    card = room.page.locator("#person-card")
    expect(card).to_be_visible()
    expect(card.locator("[data-part=name]")).to_have_text(ARABIC)
    expect(card.locator("[data-part=username]")).to_have_text(f"@{LAYLA}")
    expect(card.locator("[data-part=time]")).to_contain_text("Asia/Beirut")
    card.get_by_role("button", name="Close").click()
    expect(card).to_be_hidden()


def test_at_all_asks_before_notifying_many(people):
    layla, omar = people
    watcher = omar.open(ROOM)
    room = layla.open(ROOM)
    asked = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        if len(asked) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    room.page.on("dialog", answer)
    # The test server asks above one person (CHAT_BROADCAST_CONFIRM=1): this room has two.
    room.send("@all first try")
    expect(room.error).to_contain_text("@all would notify 2 people")
    room.send("@all lunch is here")
    expect(room.message("@all lunch is here")).to_have_count(1)
    assert asked == ["Notify all 2 people?", "Notify all 2 people?"]
    expect(watcher.message("@all lunch is here")).to_have_class(re.compile(r"mentioned"))
    expect(watcher.message("@all first try")).to_have_count(0)


def test_a_group_mention_highlights_its_members_message(people, browser, base_url, make_admin):
    layla, omar = people
    make_admin("boss-at", "a-long-passphrase-1")
    admin = browser.new_context(base_url=base_url)
    page = admin.new_page()
    page.goto("/accounts/login/")
    page.fill("#id_login", "boss-at")
    page.fill("#id_password", "a-long-passphrase-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/chat/**")
    status = page.evaluate(
        """async (omar) => {
          const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
          const response = await fetch("/api/groups/", {
            method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
            body: JSON.stringify({name: "reviewers-at", members: [omar]}),
          });
          return response.status;
        }""",
        OMAR,
    )
    admin.close()
    assert status == 201
    watcher = omar.open(ROOM)
    room = layla.open(ROOM)
    # People show with their picture in the @ list; a group without one.
    room.input.press_sequentially("@omar")
    person = room.mention_options.filter(has_text=OMAR).first
    expect(person.locator("img.avatar")).to_have_attribute("src", f"/avatars/{OMAR}/64/")
    room.input.fill("")
    room.input.press_sequentially("@reviewers")
    expect(room.mention_options.first).to_contain_text("reviewers-at")
    expect(room.mention_options.first.locator("img")).to_have_count(0)
    room.input.press("Enter")
    room.input.press_sequentially("please look")
    room.input.press("Enter")
    expect(room.message("@reviewers-at please look")).to_have_count(1)
    expect(watcher.message("@reviewers-at please look")).to_have_class(re.compile(r"mentioned"))


def test_a_dm_says_when_the_other_person_is_in_do_not_disturb(people):
    layla, omar = people
    layla.page.goto("/profile/")
    layla.page.select_option("#dnd-for", "1h")
    layla.page.locator("#dnd-form").get_by_role("button", name="Apply").click()
    expect(layla.page.locator("#dnd-now")).to_be_visible()
    room = omar.open(ROOM)
    room.message_someone(LAYLA)
    expect(room.page.locator("#dnd-notice")).to_contain_text(f"{ARABIC} is in Do Not Disturb")
    expect(room.title).to_have_text(ARABIC)
    layla.page.goto("/profile/")
    layla.page.select_option("#dnd-for", "")
    layla.page.locator("#dnd-form").get_by_role("button", name="Apply").click()
    expect(layla.page.locator("#dnd-now")).to_have_count(0)


def test_marking_unread_moves_the_new_since_line_back(people):
    layla, omar = people
    writer = layla.open(ROOM)
    for text in ("unread one", "unread two"):
        writer.send(text)
    reader = omar.open(ROOM)
    expect(reader.message("unread two")).to_have_count(1)
    reader.act("unread one", "Mark unread from here")
    reader.expect_new_since_before("unread one")
    other = omar.context.new_page()
    other_room = TeamRoomPage(other).open("general")
    expect(other_room.sidebar_entry(ROOM)).to_have_attribute("aria-label", re.compile(r"2 unread"))
    other.close()


def test_a_room_set_to_nothing_is_dimmed_and_leaves_the_tab_title(people):
    layla, omar = people
    room = omar.open(ROOM)
    room.page.select_option("#room-level", "nothing")
    expect(room.sidebar.locator(f'li[data-room="{ROOM}"]')).to_have_class(re.compile(r"muted-room"))
    general = TeamRoomPage(omar.page).open("general")
    layla.open(ROOM).send("while omar isn't looking")
    expect(general.sidebar_entry(ROOM)).to_have_attribute("aria-label", re.compile(r"unread"))
    expect(general.page).to_have_title(re.compile(r"^general · Chat$"))
    assert general.page.locator("#room-level").input_value() == "mentions"


def test_mentioning_someone_in_do_not_disturb_says_so_before_sending(people):
    layla, omar = people
    layla.page.goto("/profile/")
    layla.page.select_option("#dnd-for", "1h")
    layla.page.locator("#dnd-form").get_by_role("button", name="Apply").click()
    expect(layla.page.locator("#dnd-now")).to_be_visible()
    room = omar.open(ROOM)
    notice = room.page.locator("#dnd-notice")
    room.input.press_sequentially(f"@{LAYLA} can you look")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("is in Do Not Disturb")
    room.input.press("Enter")
    expect(notice).to_be_hidden()  # the text it was about has gone
