"""CHAT_REQUIRE_MFA: people it covers set up a second factor before they use the chat;
pages send them to do so, the API and the WebSocket refuse them (``mfa_required``,
close 4401)."""

import json

import pytest
from allauth.mfa.models import Authenticator
from channels.db import database_sync_to_async

from chat.tests.helpers import HOST, ORIGIN, ChatClient, session_cookie, user_session
from chat.tests.membership import api, client_of, error_code, person_new


def _with_factor(user):
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user


@pytest.fixture
def required(settings):
    settings.CHAT_REQUIRE_MFA = "all"


@pytest.mark.django_db
def test_pages_send_someone_without_a_second_factor_to_set_one_up(required):
    alice = person_new("alice")
    response = client_of(alice).get("/chat/lobby/")
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/"
    assert client_of(alice).get("/accounts/2fa/").status_code == 200  # where they set it up


@pytest.mark.django_db
def test_the_api_refuses_someone_without_a_second_factor(required):
    response = api(client_of(person_new("alice")), "get", "/api/rooms/")
    assert response.status_code == 403 and error_code(response) == "mfa_required"


@pytest.mark.django_db
def test_someone_with_a_second_factor_uses_the_chat(required):
    alice = _with_factor(person_new("alice"))
    assert client_of(alice).get("/chat/lobby/").status_code == 200


@pytest.mark.django_db
def test_staff_mode_asks_it_of_admins_only(settings):
    settings.CHAT_REQUIRE_MFA = "staff"
    assert client_of(person_new("alice")).get("/chat/lobby/").status_code == 200
    boss = person_new("boss", is_staff=True)
    assert client_of(boss).get("/chat/lobby/")["Location"] == "/accounts/2fa/"


async def _refused(client: ChatClient) -> None:
    await client.connect()
    frame = json.loads(await client.receive_text(timeout=2))
    assert (frame["type"], frame["code"]) == ("error", "mfa_required")
    assert await client.communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 4401,
    }


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_refuses_someone_without_a_second_factor(required):
    alice = await database_sync_to_async(person_new)("alice")
    key = await user_session(alice)
    await _refused(ChatClient("/ws/chat/lobby/", [ORIGIN, HOST, session_cookie(key)]))


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_admits_someone_with_a_second_factor(required, connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    await database_sync_to_async(_with_factor)(alice)
    tab = await connect_room("lobby", session=await user_session(alice))
    assert tab.identity["user"] == "alice"


@pytest.mark.django_db(transaction=True)
async def test_removing_the_last_factor_closes_open_tabs(required, connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    await database_sync_to_async(_with_factor)(alice)
    tab = await connect_room("lobby", session=await user_session(alice))

    def remove() -> None:
        from allauth.mfa.signals import authenticator_removed

        Authenticator.objects.filter(user=alice).delete()
        authenticator_removed.send(sender=Authenticator, request=None, user=alice)

    await database_sync_to_async(remove)()
    frame = await tab.until(lambda frame: frame["type"] == "error", timeout=2)
    assert frame["code"] == "mfa_required"
