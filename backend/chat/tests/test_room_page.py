"""The room page: what it embeds for its script, and how the script is loaded."""

import json
import re
from pathlib import Path

import pytest

import chat
from chat.models import Membership, Room
from chat.protocol import FINAL, CloseCode
from chat.tests.membership import client_of, dm_room, person_new, post, private_room
from people.models import Profile

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


def test_the_page_writes_times_in_the_persons_time_zone(client):
    person = person_new("kenji")
    Profile.objects.create(user=person, time_zone="Asia/Tokyo")
    client.force_login(person)
    body = client.get("/chat/lobby/").content.decode()
    assert _embedded(body, "room-context")["time_zone"] == "Asia/Tokyo"


def test_a_visitors_page_writes_times_in_the_browsers_time_zone(client):
    body = client.get("/chat/lobby/").content.decode()
    assert _embedded(body, "room-context")["time_zone"] == ""


def test_the_page_embeds_the_persons_own_rooms_for_its_sidebar():
    alice, bob, carol = person_new("alice"), person_new("bob"), person_new("carol")
    private_room("secret", alice, bob)
    Room.objects.create(name="elsewhere")  # public, not hers
    open_dm, closed_dm = dm_room(alice, bob), dm_room(alice, carol)
    Membership.objects.filter(room=closed_dm, user=alice).update(closed=True)
    post(open_dm.name, bob, "hello")
    rooms = _embedded(client_of(alice).get("/chat/secret/").content.decode(), "own-rooms")
    assert sorted(room["name"] for room in rooms) == sorted(["secret", open_dm.name])
    dm = next(room for room in rooms if room["name"] == open_dm.name)
    assert (dm["dm_with"], dm["unread"], dm["url"]) == ("bob", 1, f"/chat/{open_dm.name}/")


def test_a_signed_in_persons_page_says_whom_it_is_for_and_a_visitors_doesnt(client):
    alice = person_new("alice")
    assert client_of(alice).get("/chat/lobby/")["X-Chat-Person"] == str(alice.pk)
    response = client.get("/chat/lobby/")
    assert "X-Chat-Person" not in response
    assert _embedded(response.content.decode(), "own-rooms") == []
