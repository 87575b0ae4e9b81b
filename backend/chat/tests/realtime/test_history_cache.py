"""The latest history page a process keeps per room: right after every broadcast, or gone."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from chat.identity import Identity
from chat.protocol import events
from chat.realtime import history_cache
from chat.realtime.history_cache import HistoryCache
from chat.realtime.hub import Hub
from chat.selectors import HISTORY_LENGTH
from chat.services import storing

ROOM = "room.abc"


def frames(*seqs: int) -> list[tuple[int, str]]:
    return [(seq, f"m{seq}") for seq in seqs]


def messages(*seqs: int, to: str = ROOM) -> dict:
    return {
        "type": events.GROUP_MESSAGES_TYPE,
        "to": to,
        "frames": [list(f) for f in frames(*seqs)],
    }


def kept(*seqs: int, length: int = 3) -> HistoryCache:
    cache = HistoryCache(length=length, rooms=10)
    cache.read_done(ROOM, cache.read_begins(ROOM), frames(*seqs))
    return cache


def test_a_page_read_is_kept():
    assert kept(1, 2).latest(ROOM) == frames(1, 2)


def test_new_messages_are_appended_and_the_page_keeps_its_length():
    cache = kept(1, 2, 3)
    cache.take(messages(4, 5))
    assert cache.latest(ROOM) == frames(3, 4, 5)


def test_a_message_already_kept_is_not_kept_twice():
    cache = kept(1, 2)
    cache.take(messages(2, 3))
    assert cache.latest(ROOM) == frames(1, 2, 3)


def test_a_gap_drops_the_page():
    cache = kept(1, 2)
    cache.take(messages(4))
    assert cache.latest(ROOM) is None


def test_an_empty_room_takes_its_first_message_and_drops_on_a_later_one():
    first, later = kept(), kept()
    first.take(messages(1))
    later.take(messages(2))
    assert (first.latest(ROOM), later.latest(ROOM)) == (frames(1), None)


def test_any_other_event_of_the_room_drops_the_page():
    cache = kept(1, 2)
    cache.take({"type": events.GROUP_EVENT_TYPE, "to": ROOM, "text": "{}"})
    assert cache.latest(ROOM) is None


def test_broadcasts_to_other_rooms_change_nothing():
    cache = kept(1, 2)
    cache.take(messages(7, to="room.other"))
    cache.take({"type": events.GROUP_EVENT_TYPE, "to": "room.other", "text": "{}"})
    assert cache.latest(ROOM) == frames(1, 2)


def test_a_read_during_which_the_room_changed_is_not_kept():
    cache = HistoryCache(length=3, rooms=10)
    mark = cache.read_begins(ROOM)
    cache.take({"type": events.GROUP_EVENT_TYPE, "to": ROOM, "text": "{}"})
    cache.read_done(ROOM, mark, frames(1, 2))
    assert cache.latest(ROOM) is None


def test_new_messages_broadcast_while_a_page_is_read_are_added_to_it():
    cache = HistoryCache(length=3, rooms=10)
    mark = cache.read_begins(ROOM)
    cache.take(messages(2, 3))  # 2 was stored before the read, 3 after
    cache.read_done(ROOM, mark, frames(1, 2))
    assert cache.latest(ROOM) == frames(1, 2, 3)
    cache.take(messages(4))
    assert cache.latest(ROOM) == frames(2, 3, 4)


def test_a_read_that_misses_a_message_broadcast_meanwhile_is_not_kept():
    cache = HistoryCache(length=3, rooms=10)
    mark = cache.read_begins(ROOM)
    cache.take(messages(4))  # 3's broadcast is still on its way
    cache.read_done(ROOM, mark, frames(1, 2))
    assert cache.latest(ROOM) is None


def test_more_new_messages_than_a_page_while_reading_are_not_kept():
    cache = HistoryCache(length=3, rooms=10)
    mark = cache.read_begins(ROOM)
    cache.take(messages(3, 4, 5, 6))
    cache.read_done(ROOM, mark, frames(1, 2))
    assert cache.latest(ROOM) is None
    cache.read_done(ROOM, cache.read_begins(ROOM), frames(5, 6))  # the next read is kept
    assert cache.latest(ROOM) == frames(5, 6)


def test_a_page_read_for_returning_tabs_keeps_its_longer_tail():
    cache = HistoryCache(length=3, rooms=10, tail=6)
    cache.read_done(ROOM, cache.read_begins(ROOM), frames(*range(1, 9)), tail=True)
    assert cache.latest(ROOM) == frames(6, 7, 8)
    assert cache.after(ROOM, 2) == frames(3, 4, 5, 6, 7, 8)
    assert cache.after(ROOM, 1) is None  # 2 is no longer kept
    cache.take(messages(9))
    assert cache.after(ROOM, 3) == frames(4, 5, 6, 7, 8, 9)


def test_a_longer_tail_replaces_a_kept_page_with_what_it_took_meanwhile():
    cache = kept(5, 6, 7)
    mark = cache.read_begins(ROOM)
    cache.take(messages(8))
    cache.read_done(ROOM, mark, frames(*range(1, 8)), tail=True)
    assert cache.after(ROOM, 0) == frames(*range(1, 9))


def test_only_the_most_recently_used_pages_keep_a_longer_tail():
    cache = HistoryCache(length=2, rooms=10, tail=5, tail_rooms=2)
    for group in ("a", "b", "c"):
        cache.read_done(group, cache.read_begins(group), frames(1, 2, 3, 4, 5), tail=True)
    assert cache.after("a", 1) is None
    assert cache.latest("a") == frames(4, 5)
    assert cache.after("b", 1) == cache.after("c", 1) == frames(2, 3, 4, 5)


def test_a_read_from_before_redis_came_back_is_not_kept():
    cache = HistoryCache(length=3, rooms=10)
    mark = cache.read_begins(ROOM)
    cache.clear()
    cache.read_done(ROOM, mark, frames(1))
    assert cache.latest(ROOM) is None


def test_messages_after_a_seq_come_from_the_page_only_if_it_holds_all_of_them():
    cache = kept(4, 5, 6)
    assert cache.after(ROOM, 4) == frames(5, 6)
    assert cache.after(ROOM, 3) == frames(4, 5, 6)
    assert cache.after(ROOM, 2) is None
    assert cache.after(ROOM, 6) == []


def test_the_least_recently_used_page_goes_first():
    cache = HistoryCache(length=3, rooms=2)
    for group in ("a", "b"):
        cache.read_done(group, cache.read_begins(group), frames(1))
    cache.latest("a")
    cache.read_done("c", cache.read_begins("c"), frames(1))
    assert [g for g in "abc" if cache.latest(g) is not None] == ["a", "c"]


def test_a_room_the_process_stops_following_is_forgotten():
    cache = kept(1)
    cache.forget(ROOM)
    assert cache.latest(ROOM) is None


async def test_the_hub_keeps_pages_right_with_what_it_delivers():
    hub = Hub(layer=None)
    hub.history.read_done(ROOM, hub.history.read_begins(ROOM), frames(1))
    await hub.deliver(messages(2))
    assert hub.history.latest(ROOM) == frames(1, 2)


# --- through real connections: what changes shows in the next handshake -------------------

through_connections = pytest.mark.django_db(transaction=True)


async def _next_history(connect_room, room: str, **kwargs) -> list[dict]:
    return (await connect_room(room, **kwargs)).history


@through_connections
async def test_a_new_message_shows_in_the_next_handshakes_history(connect_room):
    alice = await connect_room("cached")  # keeps the process following the room
    await _next_history(connect_room, "cached")  # the page is read and kept
    await alice.post("one")
    assert [m["message"] for m in await _next_history(connect_room, "cached")] == ["one"]


async def _after_change(connect_room, change: dict, answer: str) -> dict:
    """Post a message, let a handshake keep the page, send ``change`` for the message
    and wait for its ``answer`` event; the message as the next handshake gets it."""
    alice = await connect_room("cached")
    seq = (await alice.post("draft"))["seq"]
    await _next_history(connect_room, "cached")
    await alice.send({**change, "seq": seq})
    await alice.until(lambda frame: frame["type"] == answer)
    [message] = await _next_history(connect_room, "cached")
    return message


@through_connections
async def test_an_edit_shows_in_the_next_handshakes_history(connect_room):
    message = await _after_change(connect_room, {"type": "edit", "message": "final"}, "edit")
    assert message["message"] == "final"


@through_connections
async def test_a_deletion_shows_in_the_next_handshakes_history(connect_room):
    message = await _after_change(connect_room, {"type": "delete"}, "delete")
    assert message.get("deleted") is True and message["message"] == ""


@through_connections
async def test_a_reaction_shows_in_the_next_handshakes_history(connect_room):
    message = await _after_change(connect_room, {"type": "react", "emoji": "👍"}, "reactions")
    assert [r["emoji"] for r in message["reactions"]] == ["👍"]


@through_connections
async def test_a_returning_tab_is_replayed_what_it_missed_from_the_kept_page(connect_room):
    alice = await connect_room("cached")
    first = (await alice.post("one"))["seq"]
    await _next_history(connect_room, "cached")
    await alice.post("two")
    await alice.post("three")
    back = await connect_room("cached", query=f"after={first}")
    assert [m["message"] for m in back.history] == ["two", "three"]


async def test_redis_coming_back_drops_what_the_hub_kept():
    hub = Hub(layer=None)
    hub.history.read_done(ROOM, hub.history.read_begins(ROOM), frames(1))
    before = hub.known.changes
    hub.redis_recovered()
    assert hub.history.latest(ROOM) is None
    assert hub.known.changes == before + 1


@database_sync_to_async
def _stored(room: str, count: int) -> None:
    """``count`` messages stored in ``room`` (no connection of this process follows it)."""
    storing.messages_store(room_name=room, posts=[
        storing.Post(Identity("guest:writer", "writer", True), f"m{n}", None)
        for n in range(count)
    ])  # fmt: skip


@pytest.fixture
def history_reads(monkeypatch) -> list:
    """The batches of (room, after) the handshakes read from the database, as read."""
    reads = []
    real = history_cache._read_rooms

    def read(items, length):
        reads.append(items)
        return real(items, length)

    monkeypatch.setattr("chat.realtime.history_cache._read_rooms", read)
    return reads


@through_connections
async def test_handshakes_that_come_together_read_their_rooms_history_together(
    connect_room, history_reads
):
    await _stored("together", 3)
    reads = history_reads
    tabs = await asyncio.gather(*(connect_room("together") for _ in range(6)))
    assert all([m["seq"] for m in tab.history] == [1, 2, 3] for tab in tabs)
    assert 1 <= len(reads) < 6, reads  # one read for several handshakes


@through_connections
async def test_tabs_returning_from_further_back_than_a_page_share_one_read(
    connect_room, history_reads
):
    await _stored("far-tail", HISTORY_LENGTH + 30)
    reads = history_reads
    first = await connect_room("far-tail", query="after=5")
    assert len(reads) == 1
    later = [await connect_room("far-tail", query=f"after={after}") for after in (3, 10, 60)]
    assert len(reads) == 1  # replayed from the tail the first read kept
    assert [m["seq"] for m in first.history] == list(range(6, HISTORY_LENGTH + 31))
    for tab, after in zip(later, (3, 10, 60), strict=True):
        assert [m["seq"] for m in tab.history] == list(range(after + 1, HISTORY_LENGTH + 31))


@through_connections
async def test_a_tab_returning_from_before_the_latest_page_gets_everything_after_its_seq(
    connect_room,
):
    await _stored("far-back", HISTORY_LENGTH + 30)
    back, later = await asyncio.gather(
        connect_room("far-back", query="after=5"), connect_room("far-back", query="after=40")
    )
    assert [m["seq"] for m in back.history] == list(range(6, HISTORY_LENGTH + 31))
    assert [m["seq"] for m in later.history] == list(range(41, HISTORY_LENGTH + 31))
