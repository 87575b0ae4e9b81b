"""Typing indicators: shown to the others, never to the typist, never stored."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from chat.tests.helpers import guest_session

pytestmark = pytest.mark.django_db(transaction=True)

TYPING = {"typing"}


async def test_typing_reaches_the_others_only(connect_room):
    alice_session = await guest_session("alice")
    alice = await connect_room("typing", session=alice_session)
    alice_other_tab = await connect_room("typing", session=alice_session)
    bob = await connect_room("typing", session=await guest_session("bob"))
    await alice.send({"type": "typing"})
    frame = await bob.receive(kinds=TYPING)
    assert frame["user"]["user"] == "alice"
    assert await alice.receive_nothing(kinds=TYPING)
    assert await alice_other_tab.receive_nothing(kinds=TYPING)


async def test_typing_is_throttled_on_the_server(connect_room):
    alice = await connect_room("typing-fast", session=await guest_session("alice"))
    bob = await connect_room("typing-fast", session=await guest_session("bob"))
    for _ in range(5):
        await alice.send({"type": "typing"})
    await bob.receive(kinds=TYPING)
    assert await bob.receive_nothing(kinds=TYPING)


async def test_typing_is_never_stored_or_replayed(connect_room):
    alice = await connect_room("typing-ephemeral", session=await guest_session("alice"))
    await alice.send({"type": "typing"})
    later = await connect_room("typing-ephemeral", query="after=0")
    assert later.history == []
    count = await database_sync_to_async(Message.objects.count)()
    assert count == 0
