"""API tokens on the WebSocket handshake: as an ``Authorization`` header or the
subprotocol ``bearer.<token>``; a bad one refuses the handshake."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chat.tests.helpers import HOST, ORIGIN, ChatClient, session_cookie, user_session
from chat.tests.membership import private_room
from config.asgi import application
from integrations.tokens import token_create

pytestmark = pytest.mark.django_db(transaction=True)


def auth_header(secret: str) -> tuple[bytes, bytes]:
    return (b"authorization", f"Bearer {secret}".encode())


async def test_a_token_in_the_header_signs_in_without_an_origin(alice, bob, connect_room):
    await database_sync_to_async(private_room)("ops", alice)
    _, secret = await database_sync_to_async(token_create)(user=alice, name="cli")
    client = await connect_room("ops", headers=[HOST, auth_header(secret)])
    assert client.identity["user"] == "alice" and client.identity["guest"] is False


async def test_a_token_as_a_subprotocol_is_accepted_with_chat(alice, connect_room):
    _, secret = await database_sync_to_async(token_create)(user=alice, name="page")
    communicator = WebsocketCommunicator(
        application, "/ws/chat/lobby/", headers=[ORIGIN, HOST],
        subprotocols=["chat", f"bearer.{secret}"],
    )  # fmt: skip
    connected, subprotocol = await communicator.connect()
    assert connected and subprotocol == "chat"
    frame = await communicator.receive_json_from()
    assert frame["type"] == "identity" and frame["user"] == "alice"
    await communicator.disconnect()


@pytest.mark.parametrize("secret", ["chat_" + "x" * 43, "nonsense"], ids=["unknown", "malformed"])
async def test_a_bad_token_refuses_the_handshake_even_with_a_session(alice, secret):
    session = await user_session(alice)
    client = ChatClient(
        "/ws/chat/lobby/", [ORIGIN, HOST, session_cookie(session), auth_header(secret)]
    )
    connected, _ = await client.connect()
    assert not connected


async def test_a_revoked_token_refuses_the_handshake(alice):
    token, secret = await database_sync_to_async(token_create)(user=alice, name="cli")
    token.revoked_at = token.created
    await database_sync_to_async(token.save)()
    connected, _ = await ChatClient("/ws/chat/lobby/", [HOST, auth_header(secret)]).connect()
    assert not connected


async def test_a_token_s_user_still_needs_access_to_a_private_room(alice, bob):
    await database_sync_to_async(private_room)("ops", alice)
    _, secret = await database_sync_to_async(token_create)(user=bob, name="cli")
    client = ChatClient("/ws/chat/ops/", [HOST, auth_header(secret)])
    connected, _ = await client.connect()
    assert connected  # accepted only to say why
    frame = await client.next()
    assert frame["type"] == "error" and frame["code"] == "forbidden"
    await client.close()


async def test_without_a_token_a_foreign_origin_is_still_refused(alice):
    client = ChatClient("/ws/chat/lobby/", [(b"origin", b"http://evil.example"), HOST])
    connected, _ = await client.connect()
    assert not connected
