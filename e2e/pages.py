"""Page objects: one class per screen, actions as methods."""

from urllib.parse import quote

from playwright.sync_api import Page, expect


class IndexPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.room_input = page.locator("#room-name-input")
        self.submit = page.locator("#room-name-submit")
        self.error = page.locator("#room-name-error")
        self.directory = page.locator("#room-directory li")

    def room_entry(self, name: str):
        return self.page.locator(f'#room-directory li[data-room="{name}"]')

    def open(self) -> "IndexPage":
        self.page.goto("/chat/")
        return self

    def enter_room_with_enter_key(self, name: str) -> None:
        self.room_input.fill(name)
        self.room_input.press("Enter")


class GuestNamePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.name = page.locator("#id_name")
        self.save = page.locator("#guest-name-submit")

    def choose(self, name: str) -> None:
        """Take ``name`` as this browser's guest name and wait to be sent back."""
        self.page.goto("/accounts/name/")
        self.name.fill(name)
        self.save.click()
        self.page.wait_for_url("**/chat/**")


class RoomPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.title = page.locator("#room-title")
        self.log = page.locator("#chat-log")
        self.messages = page.locator("#chat-log li.message:not(.deleted) .message-body")
        self.input = page.locator("#chat-message-input")
        self.submit = page.locator("#chat-message-submit")
        self.status = page.locator("#connection-status")
        self.error = page.locator("#chat-error")
        self.items = page.locator("#chat-log li.message")
        self.authors = page.locator("#chat-log li.message:not(.pending) .message-author")
        self.pending = page.locator("#chat-log li.pending")
        self.identity_name = page.locator("#identity-name")
        self.presence = page.locator("#presence li")
        self.presence_count = page.locator("#presence-count")
        self.typing = page.locator("#typing")

    def message(self, text: str):
        return self.page.locator("#chat-log li.message:not(.pending)", has_text=text)

    def delete(self, text: str) -> None:
        self.message(text).get_by_role("button", name="Delete this message").click()

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
        self.log.evaluate("log => { log.scrollTop = 0; }")

    def reload(self) -> None:
        self.page.reload()
        self.expect_connected()
