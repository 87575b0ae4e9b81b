"""A connection's session: which seqs it was sent, history first, each message once."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from chat.identity import Identity
from chat.models import Membership, Room
from chat.protocol import events
from chat.realtime import session as session_module
from chat.realtime.session import Delivered, Session
from chat.rooms import public_person_id
from chat.services.rooms import member_remove
from chat.services.storing import message_store
from chat.tests.helpers import Outbox, eventually
from chat.tests.membership import identity, person_new, private_room


def test_an_early_seq_is_kept_until_the_gap_fills():
    delivered = Delivered()
    delivered.start_after(4)
    delivered.add(6)
    assert not delivered.has(5) and delivered.has(6)
    assert delivered.through == 4
    delivered.add(5)
    assert delivered.through == 6 and delivered.above == set()


def test_a_connection_in_order_holds_no_set_of_early_seqs():
    delivered = Delivered()
    for seq in (1, 2, 3):
        delivered.add(seq)
    assert delivered.through == 3 and not isinstance(delivered.above, set)
    delivered.add(5)
    delivered.add(4)
    assert delivered.through == 5 and not isinstance(delivered.above, set)


def test_history_up_to_a_seq_counts_as_delivered():
    delivered = Delivered()
    delivered.add(9)
    delivered.start_after(10)
    assert delivered.has(7) and delivered.has(10) and not delivered.has(11)
    assert delivered.above == set()
    assert delivered.highest == 10


# --- the session, with a list standing in for its connection ----------------------

ALICE = Identity("guest:alice-session", "alice", True)
BOB = Identity("guest:bob-session", "bob", True)


def broadcast_of(*seqs: int) -> dict:
    return {"type": events.GROUP_MESSAGES_TYPE, "frames": [[seq, f"frame {seq}"] for seq in seqs]}


@pytest.fixture
async def session_of():
    """Make sessions (room, identity) sending to an Outbox; closes them afterwards."""
    made: list[Session] = []

    def make(room: str, identity: Identity = ALICE) -> tuple[Session, Outbox]:
        outbox = Outbox()
        made.append(Session(room, identity, outbox))
        return made[-1], outbox

    yield make
    for session in made:
        await session.leave()
        session.close()


pytestmark = pytest.mark.django_db(transaction=True)


async def test_broadcasts_that_come_during_history_follow_it(session_of):
    session, outbox = session_of("s-held")
    assert await session.group_message(broadcast_of(3)) == 0
    assert await session.group_message(broadcast_of(4)) == 0
    assert outbox.texts == []
    await session.start(after="3")  # the page already has up to 3
    assert outbox.kinds() == ["identity", "ready", "frame 4", "presence"]
    assert await session.group_message(broadcast_of(5)) == 1
    assert outbox.kinds()[-1] == "frame 5"


async def test_a_message_already_sent_is_not_sent_again(session_of):
    session, outbox = session_of("s-once")
    await session.start(after="0")
    assert await session.group_message(broadcast_of(1)) == 1
    assert await session.group_message(broadcast_of(1, 2)) == 1
    assert [k for k in outbox.kinds() if k.startswith("frame")] == ["frame 1", "frame 2"]


async def test_a_broadcast_that_arrives_early_is_sent_once_in_its_turn(session_of):
    session, outbox = session_of("s-early")
    await session.start(after="0")
    await session.group_message(broadcast_of(2))
    await session.group_message(broadcast_of(1))
    await session.group_message(broadcast_of(2))
    assert [k for k in outbox.kinds() if k.startswith("frame")] == ["frame 2", "frame 1"]
    assert session.delivered.through == 2


async def test_a_direct_acknowledgement_of_a_seq_the_connection_has_is_not_sent(session_of):
    session, outbox = session_of("s-ack")
    await session.start(after="0")
    await session.group_message(broadcast_of(1))
    assert not await session.send_message_frame(1, "frame 1")
    assert [k for k in outbox.kinds() if k.startswith("frame")] == ["frame 1"]


async def test_typing_is_shown_to_others_but_not_to_the_typists_own_tabs(session_of):
    alices, outbox = session_of("s-typing", ALICE)
    await alices.start(after="0")
    for typist in (ALICE, BOB):
        await alices.group_message(
            {"type": events.TYPING_TYPE, "text": f"{typist.name} types",
             "from": public_person_id(typist.key)}
        )  # fmt: skip
    assert "bob types" in outbox.texts and "alice types" not in outbox.texts


async def test_a_bad_after_is_answered_with_an_error_and_the_history(session_of):
    await database_sync_to_async(message_store)(
        room_name="s-bad-after", identity=BOB, text="hello", nonce=None
    )
    session, outbox = session_of("s-bad-after")
    await session.start(after="yesterday")
    assert outbox.kinds() == ["identity", "error", "message", "ready", "presence"]
    assert json.loads(outbox.texts[1])["code"] == "invalid_after"


async def test_a_replay_sends_what_the_connection_lacks_then_ready(session_of):
    for text in ("one", "two", "three"):
        await database_sync_to_async(message_store)(
            room_name="s-replay", identity=BOB, text=text, nonce=None
        )
    session, outbox = session_of("s-replay")
    await session.start(after="1")
    replayed = [json.loads(t) for t in outbox.texts[1:4]]
    assert [(f["type"], f.get("seq")) for f in replayed] == [
        ("message", 2), ("message", 3), ("ready", None)
    ]  # fmt: skip
    assert replayed[-1]["last_seq"] == 3


class Reader:
    """Stands in for the client's reading: ``drained()`` waits until the test lets it."""

    def __init__(self) -> None:
        self.turn = asyncio.Event()
        self.gone = False

    async def __call__(self) -> bool:
        await self.turn.wait()
        self.turn.clear()
        return not self.gone


async def _bob_posts(room: str, count: int) -> None:
    for n in range(count):
        await database_sync_to_async(message_store)(
            room_name=room, identity=BOB, text=f"m{n}", nonce=None
        )


async def test_a_replay_reads_its_next_page_only_once_the_client_has_read(monkeypatch):
    monkeypatch.setattr(session_module, "REPLAY_PAGE", 2)
    await _bob_posts("s-pages", 5)
    outbox, reader = Outbox(), Reader()
    session = Session("s-pages", ALICE, outbox, reader)
    replay = asyncio.create_task(session.replay_after(0))
    await eventually(lambda: outbox.kinds() == ["message"] * 2, what="the first page")
    reader.turn.set()
    await eventually(lambda: outbox.kinds() == ["message"] * 4, what="the second page")
    reader.turn.set()
    await replay
    assert outbox.kinds() == ["message"] * 5 + ["ready"]
    assert json.loads(outbox.texts[-1])["last_seq"] == 5
    session.close()


async def test_a_replay_stops_when_the_client_is_gone(monkeypatch):
    monkeypatch.setattr(session_module, "REPLAY_PAGE", 2)
    await _bob_posts("s-gone", 3)
    outbox, reader = Outbox(), Reader()
    reader.gone = True
    reader.turn.set()
    session = Session("s-gone", ALICE, outbox, reader)
    await session.replay_after(0)
    assert outbox.kinds() == ["message"] * 2
    session.close()


async def test_a_replay_capped_by_the_maximum_says_it_was_truncated(session_of, settings):
    settings.CHAT_REPLAY_MAX = 3
    for n in range(4):
        await database_sync_to_async(message_store)(
            room_name="s-cap", identity=BOB, text=f"m{n}", nonce=None
        )
    session, outbox = session_of("s-cap")
    await session.replay_after(0)
    ready = json.loads(outbox.texts[-1])
    assert outbox.kinds() == ["message"] * 3 + ["ready"]
    assert (ready["last_seq"], ready["truncated"]) == (3, True)


# --- access checked again ---------------------------------------------------------


class Closer:
    """Stands in for closing the connection with 4403; counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1


@database_sync_to_async
def _private_room(name: str, owner: str, *members: str) -> dict[str, Identity]:
    """A private room and its people's identities, by username."""
    people = {username: person_new(username) for username in (owner, *members)}
    private_room(name, *people.values())
    return {username: identity(user) for username, user in people.items()}


@database_sync_to_async
def _removed(room: str, username: str) -> None:
    owner = Membership.objects.get(room__name=room, is_owner=True).user
    member_remove(room=Room.objects.get(name=room), by=owner, username=username)


def _forbidden(outbox: Outbox) -> bool:
    return any(json.loads(text).get("code") == "forbidden" for text in outbox.texts)


async def test_a_connection_removed_before_it_was_subscribed_is_closed_on_start():
    """Removed between the handshake's check and the session's subscription: the
    broadcast that tells of it came too early, so the start checks again."""
    people = await _private_room("s-early", "ann", "ben")
    closer, outbox = Closer(), Outbox()
    session = Session("s-early", people["ben"], outbox, forbid=closer)
    await session.open()
    try:
        await _removed("s-early", "ben")
        await session.start(after=None, recheck=True)
        assert outbox.kinds() == ["error"] and _forbidden(outbox)
        assert closer.calls == 1
    finally:
        session.close()


async def test_broadcasts_wait_while_a_members_access_is_checked_again():
    people = await _private_room("s-hold", "ann", "ben")
    closer, outbox = Closer(), Outbox()
    session = Session("s-hold", people["ben"], outbox, forbid=closer)
    await session.open()
    try:
        await session.start(after=None)
        await _removed("s-hold", "ben")
        await session.group_message({"type": events.ACCESS_TYPE, "room": "s-hold"})
        # Sent while the check runs: it must never reach the removed member.
        await session.group_message(broadcast_of(7))
        await eventually(lambda: closer.calls, what="the connection to be closed")
        assert "frame 7" not in outbox.texts
        assert _forbidden(outbox)
    finally:
        session.close()


async def test_catching_up_after_a_redis_outage_checks_access_first(monkeypatch):
    """A removal during the outage was never broadcast: no replay for the removed."""
    monkeypatch.setattr(session_module, "CATCH_UP_DELAYS", (0.0,))
    people = await _private_room("s-outage", "ann", "ben")
    closer, outbox = Closer(), Outbox()
    session = Session("s-outage", people["ben"], outbox, forbid=closer)
    await session.open()
    try:
        await session.start(after=None)
        await _removed("s-outage", "ben")
        await database_sync_to_async(message_store)(
            room_name="s-outage", identity=people["ann"], text="after", nonce=None
        )
        session.redis_recovered()
        await eventually(lambda: closer.calls, what="the connection to be closed")
        assert not any('"after"' in text for text in outbox.texts)
    finally:
        session.close()


async def test_a_check_of_access_during_history_holds_what_follows_it():
    people = await _private_room("s-hist", "ann", "ben")
    closer, outbox = Closer(), Outbox()
    session = Session("s-hist", people["ben"], outbox, forbid=closer)
    await session.open()
    try:
        # Both arrive while history is being sent, so they wait in order.
        await session.group_message({"type": events.ACCESS_TYPE, "room": "s-hist"})
        await session.group_message(broadcast_of(1))
        await session.start(after=None)
        await eventually(lambda: "frame 1" in outbox.texts, what="the held message")
        assert closer.calls == 0
    finally:
        session.close()


@database_sync_to_async
def _private_room_of(name: str, *usernames: str) -> None:
    private_room(
        name, *[Membership.objects.filter(user__username=u).first().user for u in usernames]
    )


@database_sync_to_async
def _removed_without_a_notice(room: str, username: str) -> None:
    """As when the notice of a removal is lost (Redis was away)."""
    Membership.objects.filter(room__name=room, user__username=username).delete()


async def test_catching_up_after_a_redis_outage_follows_the_sidebar_as_it_is_now(monkeypatch):
    """Removed from another room during the outage: its activity is no longer passed on."""
    monkeypatch.setattr(session_module, "CATCH_UP_DELAYS", (0.0,))
    people = await _private_room("s-here", "ann", "ben")
    await _private_room_of("s-other", "ann", "ben")
    outbox = Outbox()
    session = Session("s-here", people["ben"], outbox, rooms=frozenset({"s-here", "s-other"}))
    await session.open()
    try:
        await session.start(after=None)
        await _removed_without_a_notice("s-other", "ben")
        session.redis_recovered()
        await eventually(lambda: session.rooms == frozenset({"s-here"}), what="the new sidebar")
        assert events.ROOMS_EVENT["type"] in outbox.kinds()
        activity = {"type": events.ACTIVITY_TYPE, "room": "s-other", "seq": 1, "from": "ann",
                    "text": "secret", "mentions": [], "dm": False}  # fmt: skip
        await session.group_message(activity)
        assert not any("secret" in text for text in outbox.texts)
    finally:
        session.close()
