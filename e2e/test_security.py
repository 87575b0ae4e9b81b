"""The deployed server's defences: its page under the Content-Security-Policy, the
WebSocket origin check, failed-login lockout, refused hosts and the Server header."""

import os
import re
import socket
import subprocess
import sys

import pytest
from playwright.sync_api import BrowserContext, Error, Page, expect

from devtools.chat_server import BACKEND_DIR
from devtools.waiting import wait_until
from e2e.pages import RoomPage

# Runs before the page's own scripts in every document (Playwright injects it, so the
# policy doesn't apply) and reports each violation to the test.
WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def watched(context: BrowserContext):
    """A page whose CSP violations (events and console reports, on every page it
    visits) collect in ``page.csp_violations``."""
    violations: list[str] = []
    context.expose_function("reportCspViolation", lambda text: violations.append(text))
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.csp_violations = violations
    return page


def _raw_request(server, request: str) -> str:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.makefile("rb").readline().decode()


def _handshake_status(server, origin: str) -> int:
    status_line = _raw_request(
        server,
        "GET /ws/chat/lobby/ HTTP/1.1\r\n"
        f"Host: {server.host}:{server.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n",
    )
    return int(status_line.split()[1])


def test_the_room_page_works_under_the_policy_without_violations(watched: Page):
    room = RoomPage(watched).open("csp-room")
    room.send("under the policy")
    room.expect_delivered("under the policy")
    for path in ("/chat/", "/accounts/login/", "/accounts/signup/", "/admin/login/"):
        policy = watched.goto(path).headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        watched.wait_for_load_state("load")
    assert watched.csp_violations == []


MAKE_ADMIN = """
from django.contrib.auth import get_user_model
get_user_model().objects.create_superuser("csp-admin", "", "an-admin-passphrase-1")
"""


def test_the_admin_works_under_the_policy_without_violations(watched: Page, chat_server):
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MAKE_ADMIN],
        cwd=BACKEND_DIR,
        env={**os.environ, **chat_server.env},
        check=True,
    )
    watched.goto("/admin/login/")  # the site's log-in, which comes back to the admin
    watched.fill("#id_login", "csp-admin")
    watched.fill("#id_password", "an-admin-passphrase-1")
    watched.get_by_role("button", name="Log in").click()
    expect(watched.locator("#site-name")).to_be_visible()
    for path in ("/admin/", "/admin/auth/user/", "/admin/auth/user/add/", "/admin/chat/message/"):
        watched.goto(path)
        expect(watched.locator("#content")).to_be_visible()
    watched.goto("/admin/auth/user/")
    watched.locator("#result_list th.field-username a").first.click()  # a change form
    expect(watched.locator("#content h1")).to_be_visible()
    assert watched.csp_violations == []


def test_the_api_docs_work_under_the_policy(watched: Page):
    watched.goto("/api/docs")
    expect(watched.locator(".swagger-ui .info .title")).to_contain_text("Chat API")
    expect(watched.locator(".opblock-summary-path").first).to_be_visible()
    assert [v for v in watched.csp_violations if "script-src" in v] == []


def test_the_policy_blocks_inline_script(watched: Page):
    RoomPage(watched).open("csp-inline")
    with pytest.raises(Error):
        watched.add_script_tag(content="window.__inlineRan = true;")
    assert watched.evaluate("window.__inlineRan") is None
    wait_until(
        lambda: any("script-src" in v for v in watched.csp_violations),
        timeout=10,
        what="the blocked inline script to be reported",
    )


def test_a_websocket_from_another_port_of_the_same_host_is_refused(chat_server):
    assert _handshake_status(chat_server, f"http://{chat_server.host}:{chat_server.port}") == 101
    other_port = 9999 if chat_server.port != 9999 else 9998
    assert _handshake_status(chat_server, f"http://{chat_server.host}:{other_port}") == 403
    assert _handshake_status(chat_server, f"https://{chat_server.host}:{chat_server.port}") == 403


def test_repeated_wrong_passwords_show_when_to_try_again(page: Page):
    page.goto("/accounts/signup/")
    page.fill("#id_username", "lockme")
    page.fill("#id_password1", "a-long-passphrase-1")
    page.fill("#id_password2", "a-long-passphrase-1")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/chat/**")
    page.click("#logout-button")
    for attempt in range(5):
        page.goto("/accounts/login/")
        page.fill("#id_login", "lockme")
        page.fill("#id_password", f"wrong-{attempt}")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("load")
    expect(page.locator("#lockout-message")).to_have_text(
        "Too many failed login attempts. Try again in 15 minutes."
    )
    page.goto("/accounts/login/")
    page.fill("#id_login", "lockme")
    page.fill("#id_password", "a-long-passphrase-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#lockout-message")).to_be_visible()


def test_a_host_not_served_gets_400_and_no_traceback_in_the_log(chat_server):
    logged_before = len(chat_server.log_path.read_text())  # the server is shared
    status_line = _raw_request(
        chat_server, "GET /chat/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    assert status_line.split()[1] == "400"
    wait_until(
        lambda: (
            "Invalid HTTP_HOST header: 'evil.example'" in _log_since(chat_server, logged_before)
        ),
        timeout=10,
        what="the refusal to be logged",
    )
    assert "Traceback" not in _log_since(chat_server, logged_before)


def _log_since(chat_server, offset: int) -> str:
    return chat_server.log_path.read_text()[offset:]


def test_the_server_header_does_not_reveal_a_process_id(chat_server):
    reply = _raw_request_all(
        chat_server,
        f"GET /healthz HTTP/1.1\r\nHost: {chat_server.host}\r\nConnection: close\r\n\r\n",
    )
    server = re.search(r"^server: (.*?)\r?$", reply, re.IGNORECASE | re.MULTILINE).group(1)
    assert re.fullmatch(r"chat-worker-[0-9a-f]{8}", server), server


def _raw_request_all(server, request: str) -> str:
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.makefile("rb").read().decode()
