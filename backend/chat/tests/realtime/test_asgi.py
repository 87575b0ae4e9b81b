"""A connection as its session sees it: the wait for its client to read, from the scope."""

import pytest
from channels.db import database_sync_to_async

from chat.identity import Identity
from chat.realtime import session as session_module
from chat.realtime.asgi import drain_waiter
from chat.services.storing import message_store
from chat.tests.helpers import ChatClient
from server.websocket import DRAIN_EXTENSION

BOB = Identity("guest:bob-session", "bob", True)


@pytest.mark.parametrize(
    "scope",
    [
        {"type": "websocket"},
        {"type": "websocket", "extensions": None},
        {"type": "websocket", "extensions": {"websocket.http.response": {}}},
    ],
    ids=["no extensions (channels' test client)", "extensions None", "another extension"],
)
async def test_under_another_server_the_waiter_returns_at_once(scope):
    drained = drain_waiter(scope)
    assert drained is not None and await drained() is True


async def test_the_waiter_is_the_servers_hook():
    async def hook() -> bool:
        return False

    assert drain_waiter({"extensions": {DRAIN_EXTENSION: {"drained": hook}}}) is hook


@pytest.mark.django_db(transaction=True)
async def test_a_replay_waits_on_the_hook_its_connections_scope_offers(monkeypatch):
    monkeypatch.setattr(session_module, "REPLAY_PAGE", 2)
    for n in range(5):
        await database_sync_to_async(message_store)(
            room_name="asgi-drain", identity=BOB, text=f"m{n}", nonce=None
        )
    waits = []

    async def drained() -> bool:
        waits.append(len(waits))
        return True

    client = ChatClient("/ws/chat/asgi-drain/?after=0")
    client.communicator.scope["extensions"] = {DRAIN_EXTENSION: {"drained": drained}}
    connected, _ = await client.connect()
    try:
        assert connected
        await client.read_until_ready()
        assert [frame["message"] for frame in client.history] == [f"m{n}" for n in range(5)]
        assert waits == [0, 1]  # after each of the two full pages
    finally:
        await client.close()
