"""Page objects: one class per screen, actions as methods."""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

from playwright.sync_api import Browser, BrowserContext, Page, expect


class Screen:
    """A page object: ``LOCATORS`` (attribute name → CSS selector) become locators."""

    LOCATORS: dict[str, str] = {}

    def __init__(self, page: Page) -> None:
        self.page = page
        for name, selector in self.LOCATORS.items():
            setattr(self, name, page.locator(selector))


class IndexPage(Screen):
    LOCATORS = {
        "room_input": "#room-name-input",
        "submit": "#room-name-submit",
        "error": "#room-name-error",
        "directory": "#room-directory li",
    }

    def room_entry(self, name: str):
        return self.page.locator(f'#room-directory li[data-room="{name}"]')

    def open(self) -> "IndexPage":
        self.page.goto("/chat/")
        return self

    def enter_room_with_enter_key(self, name: str) -> None:
        self.room_input.fill(name)
        self.room_input.press("Enter")


class GuestNamePage(Screen):
    LOCATORS = {"name": "#id_name", "save": "#guest-name-submit"}

    def choose(self, name: str) -> None:
        """Take ``name`` as this browser's guest name and wait to be sent back."""
        self.page.goto("/accounts/name/")
        self.name.fill(name)
        self.save.click()
        self.page.wait_for_url("**/chat/**")


class RoomPage(Screen):
    LOCATORS = {
        "title": "#room-title",
        "log": "#chat-log",
        "messages": "#chat-log li.message:not(.deleted) .message-body",
        "input": "#chat-message-input",
        "submit": "#chat-message-submit",
        "status": "#connection-status",
        "error": "#chat-error",
        "items": "#chat-log li.message",
        "authors": "#chat-log li.message:not(.pending) .message-author",
        "pending": "#chat-log li.pending",
        "identity_name": "#identity-name",
        "presence": "#presence li",
        "presence_count": "#presence-count",
        "typing": "#typing",
    }

    def message(self, text: str):
        """The stored message whose own text (not a reply's quote of it) has ``text``."""
        body = self.page.locator(".message-body", has_text=text)
        return self.page.locator("#chat-log li.message:not(.pending)").filter(has=body)

    def actions(self, text: str):
        """The message's menu items (opening its Actions menu)."""
        message = self.message(text)
        message.get_by_role("button", name="Actions for this message").click()
        return message.get_by_role("menu")

    def act(self, text: str, action: str) -> None:
        """Choose ``action`` ("Edit this message", …) from the message's menu."""
        self.actions(text).get_by_role("menuitem", name=action).click()

    def delete(self, text: str) -> None:
        """Delete the message, saying yes when the page asks to confirm."""
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.act(text, "Delete this message")

    def type_without_sending(self, text: str) -> None:
        self.input.press_sequentially(text)

    def expect_people(self, *names: str) -> None:
        """``#presence`` lists exactly these people (name text, badges included)."""
        expect(self.presence).to_have_count(len(names))
        for name in names:
            expect(self.presence.filter(has_text=name)).to_have_count(1)
        expect(self.presence_count).to_have_text(str(len(names)))

    def open(self, room: str) -> "RoomPage":
        self.page.goto(f"/chat/{quote(room)}/")
        self.expect_connected()
        return self

    def expect_connected(self) -> None:
        expect(self.status).to_have_attribute("data-state", "open")

    def send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def send_with_button(self, text: str) -> None:
        self.input.fill(text)
        self.submit.click()

    def expect_messages(self, *texts: str) -> None:
        """The log shows exactly these messages, in this order (pending ones included)."""
        expect(self.messages).to_have_text(list(texts))

    def expect_delivered(self, *texts: str) -> None:
        """Exactly these messages, in order, and none of them still pending."""
        self.expect_messages(*texts)
        expect(self.pending).to_have_count(0)

    def scroll_to_top(self) -> None:
        """Scroll the log to its top, which loads older history. Waits until the page has
        shown its history scrolled to the bottom first: scrolling an empty or still
        unscrolled log fires no scroll event, and history arriving later would scroll
        it back down."""
        self.log.evaluate(
            "log => new Promise(done => { const at = () => log.scrollTop > 0 ?"
            " done() : requestAnimationFrame(at); at(); })"
        )
        self.log.evaluate("log => { log.scrollTop = 0; }")

    def reload(self) -> None:
        self.page.reload()
        self.expect_connected()


def tabs(context: BrowserContext, room: str, count: int = 2) -> list[RoomPage]:
    """``room`` open and connected in ``count`` new tabs of one browser."""
    return [RoomPage(context.new_page()).open(room) for _ in range(count)]


@contextmanager
def guest_browsers(browser: Browser, base_url: str, names: tuple[str, ...]):
    """A browser (context) of its own for each name, a guest who chose that name; closed
    afterwards. Use it once per module: a guest's name stays theirs."""
    contexts = []
    try:
        for name in names:
            context = browser.new_context(base_url=base_url)
            contexts.append(context)
            page = context.new_page()
            GuestNamePage(page).choose(name)
            page.close()
        yield contexts
    finally:
        for context in contexts:
            context.close()


def sign_up(context: BrowserContext, username: str, password: str = "a-long-passphrase-1") -> Page:
    """A new account made through the sign-up page; the page it ends on (the general
    room, with a welcome)."""
    page = context.new_page()
    page.goto("/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_password1", password)
    page.fill("#id_password2", password)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/chat/general/?welcome=1")
    return page


class TeamRoomPage(RoomPage):
    """The room page's sidebar, members panel and @mentions (signed-in people)."""

    LOCATORS = {
        **RoomPage.LOCATORS,
        "sidebar": "nav#sidebar",
        "new_room_name": "#new-room-name",
        "new_room_private": "#new-room-private",
        "new_room_submit": "#new-room-submit",
        "new_room_error": "#new-room-error",
        "new_dm_username": "#new-dm-username",
        "new_dm_submit": "#new-dm-submit",
        "members": "#members li",
        "invite_button": "#invite-button",
        "invite_url": "#invite-url",
        "mention_list": "#mention-list",
        "mention_options": "#mention-list [role=option]",
        "new_since": "#new-since",
        "mentioned": "#chat-log li.message.mentioned",
        "enable_notifications": "#notifications-enable",
        "notifications_state": "#notifications-state",
        "offline_notice": "#offline-notice",
        "switcher": "#quick-switcher",
        "switcher_input": "#quick-switcher-input",
        "switcher_options": "#quick-switcher-list [role=option]",
        "shortcuts": "#shortcuts-dialog",
        "editing": "#chat-editing",
    }

    def sidebar_entry(self, name: str):
        """The sidebar link of the room called ``name`` (its accessible name has the counts)."""
        return self.sidebar.locator(f'li[data-room="{name}"] a')

    def sidebar_link(self, label: str):
        """The sidebar link whose accessible name is exactly ``label``."""
        return self.sidebar.get_by_role("link", name=label, exact=True)

    def create_room(self, name: str, private: bool = True) -> None:
        self.new_room_name.fill(name)
        if private:
            self.new_room_private.check()
        self.new_room_submit.click()
        self.page.wait_for_url(f"**/chat/{quote(name)}/")
        self.expect_connected()

    def message_someone(self, username: str) -> None:
        self.new_dm_username.fill(username)
        self.new_dm_submit.click()
        self.page.wait_for_url("**/chat/dm-*/")
        self.expect_connected()

    def invite_link(self) -> str:
        self.invite_button.click()
        expect(self.invite_url).to_have_value(re.compile(r"/invite/"))
        return self.invite_url.input_value()

    def expect_chosen(self, option) -> None:
        """``option`` is the quick switcher's chosen one: selected, and named by its box."""
        expect(option).to_have_attribute("aria-selected", "true")
        chosen = option.get_attribute("id")
        expect(self.switcher_input).to_have_attribute("aria-activedescendant", chosen)

    def expect_new_since_before(self, text: str) -> None:
        """The "New since you last read" line stands right before the message ``text``."""
        expect(self.new_since).to_have_text("New since you last read")
        expect(self.page.locator("#new-since + li.message .message-body")).to_have_text(text)


@dataclass
class Person:
    """A signed-up person with a browser context of their own and its first page."""

    name: str
    context: BrowserContext
    page: Page

    @property
    def room(self) -> TeamRoomPage:
        return TeamRoomPage(self.page)

    def open(self, room: str) -> TeamRoomPage:
        return TeamRoomPage(self.page).open(room)


class InvitationPage(Screen):
    def accept(self, url: str) -> None:
        self.page.goto(url)
        self.page.get_by_role("button", name="Join").click()
        self.page.wait_for_url("**/chat/**")


@contextmanager
def signed_up(browser: Browser, base_url: str, names: tuple[str, ...], scripts=None):
    """A browser (context) of its own for each name, a person who signed up under it, as
    ``Person``s in the order named; closed afterwards. ``scripts``: name → a script each
    of that person's pages runs first. Use it once per module: a username stays taken."""
    contexts = []
    try:
        people = []
        for name in names:
            context = browser.new_context(base_url=base_url)
            contexts.append(context)
            if scripts and name in scripts:
                context.add_init_script(scripts[name])
            people.append(Person(name, context, sign_up(context, name)))
        yield people
    finally:
        for context in contexts:
            context.close()


class IntegrationsDialog(Screen):
    """A room's "Integrations" dialog: its incoming and outgoing webhooks. ``kind`` is
    "incoming" or "outgoing"."""

    LOCATORS = {
        "opener": "#integrations-open",
        "dialog": "#integrations-dialog",
        "incoming_name": "#incoming-name",
        "incoming_make": "#incoming-make",
        "incoming_items": "#incoming-list li",
        "incoming_empty": "#incoming-empty",
        "new_url": "#incoming-made-value",
        "url_copied": "#incoming-made [role=status]",
        "outgoing_url": "#outgoing-url",
        "outgoing_name": "#outgoing-name",
        "outgoing_mentions": "#outgoing-mentions",
        "outgoing_make": "#outgoing-make",
        "outgoing_items": "#outgoing-list li",
        "outgoing_empty": "#outgoing-empty",
        "new_secret": "#outgoing-made-value",
    }

    def open(self) -> "IntegrationsDialog":
        self.opener.click()
        expect(self.dialog).to_be_visible()
        return self

    def close(self) -> None:
        self.dialog.get_by_role("button", name="Close", exact=True).click()
        expect(self.dialog).to_be_hidden()

    def item(self, kind: str, name: str):
        return self.page.locator(f"#{kind}-list li").filter(
            has=self.page.locator(".integration-name", has_text=re.compile(f"^{re.escape(name)}$"))
        )

    def make_incoming(self, name: str) -> str:
        """Make an incoming webhook; the URL it shows once."""
        self.incoming_name.fill(name)
        self.incoming_make.click()
        expect(self.new_url).to_have_value(re.compile(r"/api/hooks/[^/]+/$"))
        return self.new_url.input_value()

    def make_outgoing(self, url: str, name: str, events: tuple[str, ...]) -> str:
        """Make an outgoing webhook told of ``events`` (their labels); its secret."""
        self.outgoing_url.fill(url)
        self.outgoing_name.fill(name)
        for label in ("New messages", "Edits", "Deletions", "Reactions"):
            self.dialog.get_by_label(label, exact=True).set_checked(label in events)
        self.outgoing_make.click()
        expect(self.new_secret).not_to_have_value("")
        return self.new_secret.input_value()

    def rename(self, kind: str, name: str, new_name: str) -> None:
        item = self.item(kind, name)
        item.get_by_role("button", name=f"Rename {name}").click()
        item.get_by_label(f"New name of {name}").fill(new_name)
        item.get_by_role("button", name="Save").click()
        expect(self.item(kind, new_name)).to_have_count(1)

    def act(self, kind: str, name: str, action: str) -> None:
        """Click the item's ``action`` ("Revoke", "Delete", "Resume"), saying yes when
        the page asks to confirm."""
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.item(kind, name).get_by_role("button", name=f"{action} {name}").click()


class BotsSection(Screen):
    """The People page's "Bots" section (admins)."""

    LOCATORS = {
        "username": "#bot-username",
        "name": "#bot-name",
        "make": "#bot-make",
        "items": "#bots-list li",
        "empty": "#bots-empty",
        "error": "#bots-error",
        "new_token": "#bot-made-value",
    }

    def make_bot(self, username: str, name: str = "") -> str:
        """Make a bot; the token it shows once."""
        self.username.fill(username)
        self.name.fill(name)
        self.make.click()
        expect(self.new_token).to_have_value(re.compile(r"^chat_"))
        return self.new_token.input_value()

    def item(self, name: str):
        return self.page.locator("#bots-list li", has_text=name)
