"""CHAT_GUESTS=off: visitors sign in before they read anything; the WebSocket refuses
them with ``sign_in_required`` and close 4401. Signed-in people are unaffected."""

import json

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat.tests.helpers import HOST, ORIGIN, ChatClient, user_session
from chat.tests.membership import api, client_of, error_code, guest_session_key, person_new, post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _guests_off(settings):
    settings.CHAT_GUESTS = False


@pytest.mark.parametrize("path", ["/chat/", "/chat/lobby/", "/search/?q=hello", "/accounts/name/"])
def test_pages_send_visitors_to_log_in(path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "path",
    ["/api/rooms/", "/api/rooms/lobby/messages/", "/api/search/?q=hello", "/chat/lobby/messages/"],
)
def test_content_for_visitors_is_refused_401(path):
    post("lobby", person_new("alice"), "hello")
    response = Client().get(path)
    assert response.status_code == 401 and error_code(response) == "sign_in_required"


def test_becoming_a_guest_is_refused():
    response = Client().post("/accounts/guest/")
    assert response.status_code == 401 and error_code(response) == "sign_in_required"


def test_signed_in_people_read_as_before():
    alice = person_new("alice")
    post("lobby", alice, "hello")
    assert client_of(alice).get("/chat/lobby/").status_code == 200
    page = api(client_of(alice), "get", "/api/rooms/lobby/messages/").json()
    assert [m["message"] for m in page["messages"]] == ["hello"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["visitor", "guest"])
async def test_the_websocket_refuses_visitors_and_guests_with_4401(who):
    headers = [ORIGIN, HOST]
    if who == "guest":  # a guest session made while guests were allowed
        key = await database_sync_to_async(guest_session_key)("old guest")
        headers.append((b"cookie", f"sessionid={key}".encode()))
    client = ChatClient("/ws/chat/lobby/", headers)
    await client.connect()
    frame = json.loads(await client.receive_text(timeout=2))
    assert frame["type"] == "error" and frame["code"] == "sign_in_required"
    assert await client.communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 4401,
    }


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_lets_signed_in_people_in(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    tab = await connect_room("lobby", session=await user_session(alice))
    assert tab.identity["user"] == "alice"
