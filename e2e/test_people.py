"""An admin deactivates someone from the People page: that person's open tab is closed
and says why, without reconnecting; logging in again is refused with the reason."""

from playwright.sync_api import Browser, expect

from e2e.pages import RoomPage, sign_up

ADMIN, PERSON, PASSWORD = "admin-pp", "leaver-pp", "a-long-passphrase-1"


def test_a_deactivated_persons_open_tab_closes_and_says_why(browser: Browser, base_url, make_admin):
    make_admin(ADMIN, PASSWORD)
    leaver_context = browser.new_context(base_url=base_url)
    admin_context = browser.new_context(base_url=base_url)
    try:
        leaver = RoomPage(sign_up(leaver_context, PERSON, PASSWORD)).open("lobby-pp")

        admin = admin_context.new_page()
        admin.goto("/accounts/login/?next=/people/")
        admin.fill("#id_login", ADMIN)
        admin.fill("#id_password", PASSWORD)
        admin.get_by_role("button", name="Log in").click()
        admin.get_by_role("button", name=f"Deactivate {PERSON}").click()
        expect(admin.locator(f'tr[data-username="{PERSON}"] .person-status')).to_have_text(
            "deactivated"
        )

        expect(leaver.error).to_contain_text("deactivated")
        expect(leaver.status).to_have_attribute("data-state", "closed")
        expect(leaver.status).to_have_text("Disconnected")

        relogin = leaver_context.new_page()
        relogin.goto("/accounts/login/")
        relogin.fill("#id_login", PERSON)
        relogin.fill("#id_password", PASSWORD)
        relogin.get_by_role("button", name="Log in").click()
        expect(relogin.get_by_text("This account was deactivated")).to_be_visible()
    finally:
        leaver_context.close()
        admin_context.close()
