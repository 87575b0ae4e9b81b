"""Team chat: a private room joined by invitation, a direct message, unread and mention
counts in the sidebar, the "New since you last read" line and a notification for a
mention while the tab is hidden. Three people, each signed up in a browser of their own."""

from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, expect

from e2e.pages import IndexPage, InvitationPage, signed_up

ALICE, BOB, CAROL = "alice-tc", "bob-tc", "carol-tc"
TEAM = "team-tc"
LOBBY = "lobby-tc"
# What the team room holds once the tests before the "new since" one have run, in order.
TEAM_ROOM_SO_FAR = (
    "welcome to the team",
    "shall we start?",
    "yes",
    "first unread",
    "second unread",
    f"@{BOB} look at this",
)

# Records each notification the page shows, then shows it as the page asked: the real
# constructor still runs (a wrapper, not a stand-in).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__notifications = [];
  class Recorded extends Real {
    constructor(title, options = {}) {
      super(title, options);
      window.__notifications.push({ title: title, body: options.body, tag: options.tag });
    }
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
})();
"""

# Headless Chromium reports every page "visible", whichever is in front (another page
# brought to front, a tab opened with window.open, Target.createTarget in the background,
# a minimized window, focus emulation off: all tried). When bringing another page to the
# front doesn't hide the tab, the document is given the state a hidden tab has, and the
# event a browser fires.
SET_VISIBILITY = """hidden => {
  const state = hidden ? "hidden" : "visible";
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
  Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.fixture(scope="module")
def people(browser: Browser, base_url: str):
    scripts = {BOB: RECORD_NOTIFICATIONS}
    with signed_up(browser, base_url, (ALICE, BOB, CAROL), scripts) as people:
        yield people


@pytest.fixture(scope="module")
def team(people):
    """Alice's private room, which Bob joined with an invitation link; a public room too."""
    alice, bob, _ = people
    lobby = alice.open(LOBBY)
    lobby.send("the public room has a message")
    lobby.expect_delivered("the public room has a message")
    lobby.create_room(TEAM, private=True)
    room = alice.room
    expect(room.title).to_have_text(TEAM)
    expect(room.members).to_have_count(1)
    expect(room.members).to_contain_text([ALICE])
    expect(room.sidebar_entry(TEAM).locator("svg.lock")).to_have_count(1)
    link = room.invite_link()
    InvitationPage(bob.page).accept(link)
    bob.room.expect_connected()
    expect(bob.room.title).to_have_text(TEAM)
    alice.page.reload()
    expect(room.members).to_have_count(2)
    room.send("welcome to the team")
    bob.room.expect_delivered("welcome to the team")
    return TEAM


def test_someone_not_invited_neither_sees_nor_opens_the_private_room(people, team):
    _, _, carol = people
    index = IndexPage(carol.page).open()
    expect(index.room_entry(LOBBY)).to_be_visible()
    expect(index.room_entry(team)).to_have_count(0)
    response = carol.page.goto(f"/chat/{quote(team)}/")
    assert response is not None and response.status == 403
    expect(carol.page.get_by_role("heading", level=1)).to_have_text("You can't open this room")


def test_members_chat_in_the_private_room(people, team):
    alice, bob, _ = people
    alice_room = alice.open(team)
    bob_room = bob.open(team)
    alice_room.send("shall we start?")
    bob_room.expect_delivered("welcome to the team", "shall we start?")
    bob_room.send("yes")
    alice_room.expect_delivered("welcome to the team", "shall we start?", "yes")
    expect(bob_room.sidebar_entry(team)).to_have_attribute("aria-current", "page")


def test_a_dm_and_the_unread_and_mention_counts_of_another_room(people, team):
    alice, bob, _ = people
    bob_room = bob.open(team)
    alice_room = alice.open(team)
    # Alice starts a direct message from Bob's name in the list of people present.
    alice_room.presence.filter(has_text=BOB).get_by_role("button", name=f"Message {BOB}").click()
    alice.page.wait_for_url("**/chat/dm-*/")
    alice_room.expect_connected()
    expect(alice_room.title).to_have_text(BOB)
    alice_room.send("psst")
    alice_room.expect_delivered("psst")

    # Bob, still in the team room, has the DM in his sidebar, titled by Alice.
    dm_link = bob_room.sidebar_link(f"{ALICE}, 1 unread")
    expect(dm_link).to_be_visible()
    dm_link.click()
    bob.page.wait_for_url("**/chat/dm-*/")
    bob_room.expect_connected()
    expect(bob_room.title).to_have_text(ALICE)
    bob_room.expect_delivered("psst")
    expect(bob_room.sidebar_link(ALICE)).to_have_attribute("aria-current", "page")

    # Alice writes in the team room while Bob is in the DM.
    alice_room = alice.open(team)
    alice_room.send("first unread")
    alice_room.send("second unread")
    expect(bob_room.sidebar_link(f"{team}, 2 unread")).to_be_visible()
    expect(bob.page).to_have_title(f"(2) {ALICE} · Chat")

    # She mentions him, picking his name from the list offered after "@".
    alice_room.input.press_sequentially("@bo")
    expect(alice_room.mention_options).to_have_text([BOB])
    expect(alice_room.mention_list).to_be_visible()
    expect(alice_room.input).to_have_attribute("aria-activedescendant", "mention-option-0")
    alice_room.input.press("Enter")
    expect(alice_room.input).to_have_value(f"@{BOB} ")
    expect(alice_room.mention_list).to_be_hidden()
    alice_room.input.press_sequentially("look at this")
    alice_room.input.press("Enter")
    alice_room.expect_delivered(*TEAM_ROOM_SO_FAR)
    expect(bob_room.sidebar_link(f"{team}, 3 unread, 1 mention")).to_be_visible()
    expect(bob_room.sidebar_entry(team).locator(".mention-badge")).to_have_text("@1")

    # Opening the room: the line stands before the first message he hasn't read, and the
    # message that mentions him is marked.
    bob_room.sidebar_entry(team).click()
    bob.page.wait_for_url(f"**/chat/{quote(team)}/")
    bob_room.expect_connected()
    bob_room.expect_new_since_before("first unread")
    expect(bob_room.mentioned).to_have_count(1)
    expect(bob_room.mentioned).to_contain_text("mentions you")
    expect(bob_room.mentioned.locator(".message-body")).to_have_text(f"@{BOB} look at this")
    # He has read them now.
    expect(bob_room.sidebar_link(team)).to_be_visible()
    expect(bob.page).to_have_title(f"{team} · Chat")


def test_a_mention_while_the_tab_is_hidden_notifies_and_the_line_shows_after_a_reload(
    people, team, base_url
):
    alice, bob, _ = people
    bob_room = bob.open(team)
    expect(bob_room.sidebar_link(team)).to_be_visible()  # nothing unread
    expect(bob_room.enable_notifications).to_be_visible()
    bob.context.grant_permissions(["notifications"], origin=base_url)
    bob_room.enable_notifications.click()
    expect(bob_room.notifications_state).to_have_text("Notifications on")
    expect(bob_room.enable_notifications).to_be_hidden()

    # Another page of Bob's browser comes to the front: his room's tab is hidden.
    other = bob.context.new_page()
    other.goto("/chat/")
    other.bring_to_front()
    if bob.page.evaluate("document.visibilityState") != "hidden":
        bob.page.evaluate(SET_VISIBILITY, True)
    assert bob.page.evaluate("document.visibilityState") == "hidden"

    alice_room = alice.open(team)
    alice_room.send(f"@{BOB} are you there?")
    bob.page.wait_for_function("() => window.__notifications.length > 0")
    notes = bob.page.evaluate("window.__notifications")
    assert len(notes) == 1
    assert notes[0]["title"] == f"{ALICE} in {team}"
    assert notes[0]["body"] == f"@{BOB} are you there?"
    assert notes[0]["tag"].startswith(f"{team}:")
    # Hidden, the room isn't read: its message counts in the tab's title.
    expect(bob_room.sidebar_link(f"{team}, 1 unread, 1 mention")).to_be_visible()
    expect(bob.page).to_have_title(f"(1) {team} · Chat")
    other.close()

    # Back to the tab, reloaded: the line stands before the message he hadn't seen.
    bob.page.bring_to_front()
    bob_room.reload()
    bob_room.expect_new_since_before(f"@{BOB} are you there?")
    expect(bob_room.sidebar_link(team)).to_be_visible()
    expect(bob.page).to_have_title(f"{team} · Chat")


def test_a_removed_member_loses_the_room_at_once(people, team):
    alice, _, carol = people
    alice_room = alice.open(team)
    alice.page.fill("#add-member-username", CAROL)
    alice.page.click("#add-member-submit")
    expect(alice_room.members.filter(has_text=CAROL)).to_have_count(1)

    carol_room = carol.open(team)
    carol_room.expect_delivered(*TEAM_ROOM_SO_FAR, f"@{BOB} are you there?")
    alice_room.members.filter(has_text=CAROL).get_by_role(
        "button", name=f"Remove {CAROL} from the room"
    ).click()
    expect(alice_room.members.filter(has_text=CAROL)).to_have_count(0)
    expect(carol_room.status).to_have_text("You don't have access to this room.")
    expect(carol_room.input).to_be_disabled()


def test_an_open_members_list_follows_joins_and_leaves(people, team):
    alice, bob, carol = people
    bob_room = bob.open(team)
    expect(bob_room.members).to_have_count(2)
    alice_room = alice.open(team)
    alice.page.fill("#add-member-username", CAROL.upper())  # usernames in any case
    alice.page.click("#add-member-submit")
    expect(bob_room.members.filter(has_text=CAROL)).to_have_count(1)  # without a reload
    alice_room.members.filter(has_text=CAROL).get_by_role(
        "button", name=f"Remove {CAROL} from the room"
    ).click()
    expect(bob_room.members.filter(has_text=CAROL)).to_have_count(0)


def test_on_a_phone_the_members_panel_shows_add_invite_and_leave(people, team):
    _, bob, _ = people
    bob.page.set_viewport_size({"width": 360, "height": 740})
    try:
        bob_room = bob.open(team)
        expect(bob_room.members).to_have_count(2)
        for selector in ("#add-member-submit", "#invite-button", "#leave-room"):
            control = bob.page.locator(selector)
            control.scroll_into_view_if_needed()
            expect(control).to_be_in_viewport()
            box = control.bounding_box()
            panel = bob.page.locator(".presence-panel").bounding_box()
            # Within the panel as laid out, not hidden past the end of a small scroll box.
            assert box["y"] + box["height"] <= panel["y"] + panel["height"] + 1
    finally:
        bob.page.set_viewport_size({"width": 1280, "height": 720})
