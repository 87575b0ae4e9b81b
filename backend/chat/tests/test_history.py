"""History on connect, `?after=` and `resume` replays, idempotent sends."""

import pytest
from channels.db import database_sync_to_async

from chat.identity import Identity
from chat.models import Message
from chat.services.storing import message_store

pytestmark = pytest.mark.django_db(transaction=True)

WRITER = Identity("guest:writer", "writer", True)


@database_sync_to_async
def seed(room: str, count: int) -> None:
    for n in range(1, count + 1):
        message_store(room_name=room, identity=WRITER, text=f"m{n}", nonce=None)


@database_sync_to_async
def stored(room: str) -> list[tuple[int, str]]:
    return list(Message.objects.filter(room__name=room).values_list("seq", "body"))


def texts(frames) -> list[str]:
    return [frame["message"] for frame in frames]


async def test_a_new_connection_gets_the_last_50_messages_then_ready(connect_room):
    await seed("busy", 60)
    client = await connect_room("busy")
    assert [f["seq"] for f in client.history] == list(range(11, 61))
    assert client.ready == {"type": "ready", "last_seq": 60}


async def test_an_empty_room_is_ready_at_seq_0(connect_room):
    client = await connect_room("empty")
    assert client.history == []
    assert client.ready == {"type": "ready", "last_seq": 0}


async def test_a_broadcast_carries_seq_author_time_and_nonce(connect_room):
    client = await connect_room("fields")
    ack = await client.post("hello", nonce="n-1")
    assert ack["seq"] == 1
    assert ack["message"] == "hello"
    assert ack["user"] == client.identity["user"]
    assert ack["guest"] is True
    assert ack["sent_at"].endswith("Z")
    assert ack["nonce"] == "n-1"


async def test_a_message_without_nonce_is_stored_with_none(connect_room):
    client = await connect_room("bare")
    assert (await client.post("no nonce"))["nonce"] is None
    assert await stored("bare") == [(1, "no nonce")]


async def test_after_replays_exactly_the_missing_messages(connect_room):
    await seed("gap", 8)
    client = await connect_room("gap", query="after=5")
    assert texts(client.history) == ["m6", "m7", "m8"]
    assert client.ready == {"type": "ready", "last_seq": 8}


async def test_after_beyond_the_end_replays_nothing(connect_room):
    await seed("ahead", 3)
    client = await connect_room("ahead", query="after=3")
    assert client.history == []
    assert client.ready["last_seq"] == 3


async def test_after_is_capped_and_says_truncated(connect_room, settings):
    settings.CHAT_REPLAY_MAX = 4
    await seed("capped", 10)
    client = await connect_room("capped", query="after=2")
    assert [f["seq"] for f in client.history] == [3, 4, 5, 6]
    assert client.ready == {"type": "ready", "last_seq": 6, "truncated": True}


@pytest.mark.parametrize("query", ["after=-1", "after=abc", "after=1.5", "after="])
async def test_an_invalid_after_is_reported_and_the_latest_history_sent(connect_room, query):
    await seed("oops", 2)
    client = await connect_room("oops", query=query)
    assert [e["code"] for e in client.errors] == ["invalid_after"]
    assert texts(client.history) == ["m1", "m2"]


async def test_resume_replays_the_gap_on_an_open_connection(connect_room):
    client = await connect_room("resume")
    await seed("resume", 5)  # stored without a broadcast: the client saw none of them
    await client.send({"type": "resume", "after": 2})
    ready = await client.read_until_ready()
    assert texts(client.history) == ["m3", "m4", "m5"]
    assert ready["last_seq"] == 5


async def test_resume_is_capped_too(connect_room, settings):
    settings.CHAT_REPLAY_MAX = 2
    client = await connect_room("resume-cap")
    await seed("resume-cap", 5)
    await client.send({"type": "resume", "after": 0})
    ready = await client.read_until_ready()
    assert texts(client.history) == ["m1", "m2"]
    assert ready.get("truncated") is True


@pytest.mark.parametrize("after", [-1, "x", None, 1.5, True])
async def test_resume_with_a_bad_after_is_an_error(connect_room, after):
    client = await connect_room("resume-bad")
    await client.send({"type": "resume", "after": after})
    error = await client.receive()
    assert error["code"] == "invalid_after"


async def test_a_repeated_nonce_stores_once_and_is_sent_to_no_one_again(connect_room):
    """The sender's connection has that seq already: a seq goes to a connection once."""
    sender = await connect_room("nonce")
    other = await connect_room("nonce")
    first = await sender.post("only once", nonce="abc")
    assert (await other.receive())["seq"] == first["seq"]
    await sender.send({"message": "only once", "nonce": "abc"})
    assert await sender.receive_nothing()
    assert await other.receive_nothing()
    assert await stored("nonce") == [(1, "only once")]


async def test_the_same_nonce_from_another_sender_is_a_new_message(connect_room):
    alice = await connect_room("nonce-2")
    bob = await connect_room("nonce-2")  # another anonymous connection: another guest
    await alice.post("from alice", nonce="same")
    await bob.receive()
    await bob.post("from bob", nonce="same")
    assert await stored("nonce-2") == [(1, "from alice"), (2, "from bob")]


@pytest.mark.parametrize("nonce", [5, "", "x" * 65, ["a"]])
async def test_a_bad_nonce_is_an_error(connect_room, nonce):
    client = await connect_room("nonce-bad")
    await client.send({"message": "hi", "nonce": nonce})
    assert (await client.receive())["code"] == "invalid_nonce"
    assert await stored("nonce-bad") == []


async def test_a_reconnecting_client_gets_what_it_missed_once(connect_room):
    reader = await connect_room("reconnect")
    writer = await connect_room("reconnect")
    await writer.post("seen")
    seen = await reader.receive()
    await reader.close()
    await writer.post("missed 1")
    await writer.post("missed 2")
    back = await connect_room("reconnect", query=f"after={seen['seq']}")
    assert texts(back.history) == ["missed 1", "missed 2"]
