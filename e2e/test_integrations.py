"""Integrations managed from the page: a room's incoming webhook is made (its URL shown
once and copied), posted to with Slack's form body, renamed and revoked; its name in
a message opens its card; an outgoing webhook is made, resumed and deleted; an admin
makes, renames and revokes a bot on the People page."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, expect

from devtools.chat_server import BACKEND_DIR
from e2e.pages import BotsSection, IntegrationsDialog, signed_up

MAKER = "maker-ig"


@pytest.fixture(scope="module")
def maker(browser: Browser, base_url):
    with signed_up(browser, base_url, (MAKER,)) as (person,):
        person.context.grant_permissions(["clipboard-read", "clipboard-write"])
        yield person


def hook_post(url: str, body: bytes, content_type: str) -> tuple[int, dict]:
    """POST to a webhook's URL as a tool would: its status and JSON answer."""
    request = urllib.request.Request(url, body, {"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def slack_form(payload: dict) -> tuple[bytes, str]:
    return urlencode({"payload": json.dumps(payload)}).encode(), "application/x-www-form-urlencoded"


def test_an_incoming_webhook_made_on_the_page_takes_slacks_form_body(maker):
    room = maker.room
    room.create_room("builds-ig")
    dialog = IntegrationsDialog(maker.page).open()
    url = dialog.make_incoming("Builds")
    maker.page.locator("#incoming-made").get_by_role("button", name="Copy").click()
    expect(dialog.url_copied).to_have_text("Copied.")
    assert maker.page.evaluate("navigator.clipboard.readText()") == url
    expect(dialog.item("incoming", "Builds")).to_contain_text("never used")
    dialog.close()

    mrkdwn = "*Deploy* of <https://ci.example/42|build 42> done"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}]
    status, _ = hook_post(url, *slack_form({"text": "Deploy finished", "blocks": blocks}))
    assert status == 201
    message = room.message("of build 42 done")
    expect(message.locator(".message-author")).to_have_text("Builds")
    expect(message.locator(".badge")).to_have_text("bot")
    expect(message.locator(".message-body strong")).to_have_text("Deploy")
    expect(message.get_by_role("link", name="build 42")).to_have_attribute(
        "href", "https://ci.example/42"
    )


def test_a_webhooks_name_in_its_message_opens_its_card(maker):
    room = maker.room
    room.create_room("alerts-ig")
    dialog = IntegrationsDialog(maker.page).open()
    url = dialog.make_incoming("Alerts")
    dialog.close()
    assert hook_post(url, b'{"text": "disk almost full"}', "application/json")[0] == 201

    room.message("disk almost full").locator(".message-author").click()
    card = maker.page.locator("#person-card")
    expect(card).to_be_visible()
    expect(card.locator("[data-part=name]")).to_have_text("Alerts")
    expect(card.locator("[data-part=kind]")).to_have_text("Webhook")
    expect(card.locator("[data-part=what]")).to_have_text(
        "Posts in alerts-ig through an incoming webhook."
    )
    expect(card.locator("[data-part=made]")).to_contain_text(f"Made by {MAKER} on ")
    expect(card).not_to_contain_text("No one")
    card.get_by_role("button", name="Close").click()
    expect(card).to_be_hidden()


def test_an_incoming_webhook_is_renamed_and_revoked_on_the_page(maker):
    room = maker.room
    room.create_room("deploys-ig")
    dialog = IntegrationsDialog(maker.page).open()
    url = dialog.make_incoming("Deploys")
    dialog.rename("incoming", "Deploys", "Shipping")
    assert hook_post(url, b'{"text": "shipped v2"}', "application/json")[0] == 201
    dialog.close()
    expect(room.message("shipped v2").locator(".message-author")).to_have_text("Shipping")

    dialog.open()
    expect(dialog.new_url).to_have_count(0)  # a URL is shown once
    expect(dialog.item("incoming", "Shipping")).to_contain_text("last used")
    dialog.act("incoming", "Shipping", "Revoke")
    expect(dialog.incoming_items).to_have_count(0)
    expect(dialog.incoming_empty).to_be_visible()
    dialog.close()
    status, answer = hook_post(url, b'{"text": "too late"}', "application/json")
    assert (status, answer["code"]) == (410, "webhook_revoked")


FAILING_SCRIPT = """
import sys
from django.utils import timezone
from integrations.models import OutgoingWebhook
OutgoingWebhook.objects.filter(name=sys.stdin.read().strip()).update(
    failing_since=timezone.now(), last_error="HTTP 500")
"""


def test_an_outgoing_webhook_is_made_resumed_and_deleted_on_the_page(maker, chat_server, web_site):
    maker.room.create_room("relay-ig")
    dialog = IntegrationsDialog(maker.page).open()
    secret = dialog.make_outgoing(f"{web_site.base}/hook", "relay", ("New messages", "Edits"))
    assert len(secret) >= 32
    item = dialog.item("outgoing", "relay")
    expect(item).to_contain_text(f"{web_site.base}/hook")
    expect(item).to_contain_text("New messages, Edits")
    expect(item.locator(".integration-state")).to_have_text("Active")

    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", FAILING_SCRIPT],
        cwd=BACKEND_DIR, env={**os.environ, **chat_server.env}, input="relay", text=True,
        check=True,
    )  # fmt: skip
    dialog.close()
    dialog.open()
    expect(item.locator(".integration-state")).to_contain_text("Failing since")
    expect(item.locator(".integration-state")).to_contain_text("HTTP 500")
    item.get_by_role("button", name="Resume relay").click()
    expect(item.locator(".integration-state")).to_have_text("Active")

    dialog.rename("outgoing", "relay", "relay2")
    dialog.act("outgoing", "relay2", "Delete")
    expect(dialog.outgoing_items).to_have_count(0)
    expect(dialog.outgoing_empty).to_be_visible()
    dialog.close()


ADMIN, PASSWORD = "admin-ig", "a-long-passphrase-1"


def test_an_admin_makes_renames_and_revokes_a_bot_on_the_people_page(
    browser: Browser, base_url, make_admin
):
    make_admin(ADMIN, PASSWORD)
    context = browser.new_context(base_url=base_url)
    try:
        page = context.new_page()
        page.goto("/accounts/login/?next=/people/")
        page.fill("#id_login", ADMIN)
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        bots = BotsSection(page)
        token = bots.make_bot("release-bot-ig", "Release")
        expect(bots.item("Release")).to_contain_text("@release-bot-ig")
        expect(bots.item("Release")).to_contain_text(f"made by {ADMIN}")

        posted = api_post(base_url, "/api/rooms/lobby-ig/messages/", {"message": "v1 out"}, token)
        assert posted[0] == 201 and posted[1]["name"] == "Release" and posted[1]["bot"]

        page.get_by_role("button", name="Rename Release").click()
        page.get_by_label("New name of Release").fill("Releaser")
        page.get_by_role("button", name="Save").click()
        expect(bots.item("Releaser")).to_have_count(1)

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Revoke Releaser").click()
        expect(bots.items).to_have_count(0)
        expect(bots.empty).to_be_visible()
        refused = api_post(base_url, "/api/rooms/lobby-ig/messages/", {"message": "v2"}, token)
        assert (refused[0], refused[1]["code"]) == (401, "invalid_token")
    finally:
        context.close()


def api_post(base_url: str, path: str, body: dict, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        base_url + path, json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
