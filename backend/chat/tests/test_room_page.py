"""The room page: what it embeds for its script, and how the script is loaded."""

import json
import re
from pathlib import Path

import pytest

import chat
from chat.protocol import FINAL, CloseCode

pytestmark = pytest.mark.django_db


def _embedded(body: str, element_id: str):
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', body, re.S
    )
    assert match, f"no json_script #{element_id}"
    return json.loads(match.group(1))


def test_the_page_embeds_the_servers_close_codes(client):
    body = client.get("/chat/lobby/").content.decode()
    embedded = _embedded(body, "close-codes")
    assert embedded["codes"] == {code.name: int(code) for code in CloseCode}
    assert embedded["final"] == sorted(int(code) for code in FINAL)


def test_the_page_embeds_its_room_name(client):
    body = client.get("/chat/caf%C3%A9/").content.decode()
    assert _embedded(body, "room-name") == "café"


def test_the_script_is_an_es_module_and_nothing_runs_inline(client):
    body = client.get("/chat/lobby/").content.decode()
    assert '<script type="module" src="/static/chat/room/main.js"></script>' in body
    scripts = re.findall(r"<script\b([^>]*)>", body)
    assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts)


MODULES = sorted(path.name for path in Path(chat.__file__).parent.glob("static/chat/room/*.js"))


@pytest.mark.parametrize("module", MODULES)
def test_the_modules_are_served_as_javascript_with_debug_off(client, settings, module):
    settings.DEBUG = False
    response = client.get(f"/static/chat/room/{module}")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]


@pytest.mark.django_db
@pytest.mark.parametrize(("guest_uploads", "hidden"), [(True, False), (False, True)])
def test_a_guest_sees_the_attach_button_only_when_guests_may_upload(
    client, settings, guest_uploads, hidden
):
    settings.CHAT_GUEST_UPLOADS = guest_uploads
    page = client.get("/chat/lobby/").content.decode()
    assert (
        'class="attach-button" title="Attach files (or drop or paste them)" hidden' in page
    ) is hidden
