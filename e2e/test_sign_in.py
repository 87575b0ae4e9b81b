"""Signing in beyond a password, in Chromium: single sign-on through a real OpenID
provider, an authenticator app's codes (TOTP), and a passkey made by Chromium's virtual
authenticator."""

import base64
import hashlib
import hmac
import re
import struct
import time

from playwright.sync_api import Browser, Page, expect

from devtools.oidc_provider import OidcProvider
from devtools.waiting import free_port
from e2e.pages import sign_up

PASSWORD = "a-long-passphrase-1"


def totp(secret: str, at: float | None = None) -> str:
    """The 6-digit code of an authenticator app (RFC 6238: HMAC-SHA1, 30 s steps)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((time.time() if at is None else at) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def _open_confirming_the_password(page: Page, path: str) -> None:
    """Open a page that changes how one signs in: allauth asks for the password first."""
    page.goto(path)
    if "/accounts/reauthenticate/" in page.url:
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url(f"**{path.split('?')[0]}*")


def _log_out(page: Page) -> None:
    page.click("#logout-button")
    expect(page.locator("#login-link")).to_be_visible()


def test_single_sign_on_through_a_real_openid_provider(browser: Browser, fresh_server, work_dir):
    port = free_port()
    provider = OidcProvider(f"http://127.0.0.1:{port}").start(work_dir / "oidc.log")
    try:
        server = fresh_server(
            port=port, CHAT_SIGNUP="open", CHAT_OIDC_NAME="Example SSO", **provider.settings
        )
        context = browser.new_context(base_url=server.base_url)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_role("button", name="Sign in with Example SSO").click()
        page.fill("input[name=login]", "sso-person")  # the provider's own sign-in page
        page.fill("input[name=password]", "anything")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()  # its consent page
        expect(page).to_have_url(re.compile(r"/chat/general/\?welcome=1$"))
        expect(page.locator("#identity-name")).to_have_text("sso-person")
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "open")
        context.close()
    finally:
        provider.stop()


def test_an_authenticator_app_guards_the_log_in(browser: Browser, base_url):
    context = browser.new_context(base_url=base_url)
    page = sign_up(context, "totp-person", PASSWORD)
    _open_confirming_the_password(page, "/accounts/2fa/totp/activate/")
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("#id_code", totp(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Recovery codes", exact=False).first).to_be_visible()

    page.goto("/chat/")
    _log_out(page)
    page.goto("/accounts/login/")
    page.fill("#id_login", "totp-person")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("#id_code", totp(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator("#identity-name")).to_have_text("totp-person")
    context.close()


def test_a_passkey_signs_in_without_a_password(browser: Browser, fresh_server):
    # WebAuthn takes a domain, not an address, as the site's id: "localhost".
    server = fresh_server(CHAT_SIGNUP="open", CHAT_WEBAUTHN_ALLOW_HTTP="on")
    context = browser.new_context(base_url=server.base_url.replace("127.0.0.1", "localhost"))
    page = sign_up(context, "passkey-person", PASSWORD)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    _open_confirming_the_password(page, "/accounts/2fa/webauthn/add/?passwordless=1")
    page.fill("#id_name", "laptop")
    page.check("#id_passwordless")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Recovery codes", exact=False).first).to_be_visible()
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert [credential["isResidentCredential"] for credential in stored["credentials"]] == [True]

    page.goto("/chat/")
    _log_out(page)
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("#identity-name")).to_have_text("passkey-person")
    context.close()
