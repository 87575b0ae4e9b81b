"""A new organization's chat: the first-run page makes the owner, who invites someone
from the People page; the invitation link signs them up into general, with a welcome.
Sign-up without an invitation is refused, and so are visitors (CHAT_GUESTS=off)."""

import re

from playwright.sync_api import Browser, expect

PASSWORD = "a-long-passphrase-1"


def test_first_run_then_an_invitation_link_signs_someone_up(browser: Browser, fresh_server):
    server = fresh_server(CHAT_SIGNUP="invite", CHAT_GUESTS="off")
    owner_context = browser.new_context(base_url=server.base_url)
    newcomer_context = browser.new_context(base_url=server.base_url)
    try:
        owner = owner_context.new_page()
        owner.goto("/setup/")
        owner.fill("#id_username", "founder")
        owner.fill("#id_password1", PASSWORD)
        owner.fill("#id_password2", PASSWORD)
        owner.get_by_role("button", name="Make the owner's account").click()
        expect(owner).to_have_url(re.compile(r"/chat/general/\?welcome=1$"))
        expect(owner.locator("#welcome-title")).to_have_text("Welcome, founder!")
        expect(owner.locator("#empty-room")).to_be_visible()

        owner.goto("/people/")
        owner.get_by_role("button", name="Make an invitation").click()
        url = owner.locator("#new-invitation-url").inner_text()

        newcomer = newcomer_context.new_page()
        newcomer.goto("/chat/")  # a visitor is sent to log in
        expect(newcomer).to_have_url(re.compile(r"/accounts/login/\?next="))
        newcomer.goto("/accounts/signup/")
        expect(newcomer.locator("#signup-closed")).to_be_visible()

        newcomer.goto(url)
        newcomer.fill("#id_username", "newcomer")
        newcomer.fill("#id_password1", PASSWORD)
        newcomer.fill("#id_password2", PASSWORD)
        newcomer.get_by_role("button", name="Create account").click()
        expect(newcomer).to_have_url(re.compile(r"/chat/general/\?welcome=1$"))
        expect(newcomer.locator("#welcome")).to_contain_text("founder")
        expect(newcomer.locator("#connection-status")).to_have_attribute("data-state", "open")

        used = owner_context.new_page()
        response = used.goto(url)
        assert response.status == 410
        expect(used.locator("#invitation-gone")).to_contain_text("has been used")
    finally:
        owner_context.close()
        newcomer_context.close()
