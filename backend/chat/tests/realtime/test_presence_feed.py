"""A connection's presence frames go out in the order of their versions."""

import json
import sys

from chat.protocol import events
from chat.realtime.presence_feed import PresenceFeed
from chat.tests.helpers import Outbox


def presence_frame(version: int) -> dict:
    return {"type": "presence", "v": version, "users": []}


def join_text(version: int) -> str:
    return json.dumps({"type": "join", "v": version, "user": {"id": f"p{version}"}})


async def test_a_connection_is_sent_changes_in_version_order_after_its_snapshot():
    outbox = Outbox()
    feed = PresenceFeed("p-feed", outbox)
    await feed.offer(12, join_text(12))  # came before the connection's snapshot
    await feed.offer(11, join_text(11))
    assert outbox.texts == []
    await feed.snapshot(presence_frame(10))
    await feed.offer(11, join_text(11))  # a repeat
    await feed.offer(9, "leave-9")  # older than the snapshot
    await feed.offer(13, "join-13")
    # The two held back go out together, in order, as one frame; the next alone.
    assert outbox.kinds() == ["presence", "presence_changes", "join-13"]
    together = json.loads(outbox.texts[1])
    assert together["v"] == 12
    assert [change["v"] for change in together["changes"]] == [11, 12]
    feed.close()


async def test_changes_broadcast_together_are_sent_as_one_frame():
    outbox = Outbox()
    feed = PresenceFeed("p-feed-many", outbox)
    await feed.snapshot(presence_frame(10))
    await feed.offer_many(13, [(11, join_text(11)), (12, join_text(12)), (13, join_text(13))])
    assert outbox.kinds() == ["presence", "presence_changes"]
    assert [c["v"] for c in json.loads(outbox.texts[1])["changes"]] == [11, 12, 13]
    feed.close()


async def test_a_snapshot_older_than_what_was_sent_is_not_sent():
    outbox = Outbox()
    feed = PresenceFeed("p-feed-old", outbox)
    await feed.snapshot(presence_frame(10))
    await feed.offer(11, "join-11")
    await feed.snapshot(presence_frame(11))
    await feed.snapshot(presence_frame(10))
    assert outbox.kinds() == ["presence", "join-11"]
    feed.close()


async def test_changes_held_back_leave_no_grown_table_once_sent():
    outbox = Outbox()
    feed = PresenceFeed("p-feed-table", outbox)
    for version in range(11, 200):  # a room filling up before the snapshot came
        await feed.offer(version, join_text(version))
    await feed.snapshot(presence_frame(10))
    assert feed.pending == {}
    assert sys.getsizeof(feed.pending) == sys.getsizeof({})
    feed.close()


async def test_a_snapshot_sent_to_many_connections_is_encoded_once(monkeypatch):
    encoded = []
    encode = events.event_encode
    monkeypatch.setattr(
        events, "event_encode", lambda event: encoded.append(event) or encode(event)
    )
    shared = events.presence_event([{"id": f"p{n}"} for n in range(100)], 10)
    outboxes = [Outbox() for _ in range(50)]
    feeds = [PresenceFeed("p-shared-text", outbox) for outbox in outboxes]
    for feed in feeds:
        await feed.snapshot(shared)
    assert len(encoded) == 1
    assert all(json.loads(outbox.texts[0]) == shared for outbox in outboxes)
    await feeds[0].snapshot(presence_frame(11))  # another snapshot: encoded on its own
    assert json.loads(outboxes[0].texts[-1])["v"] == 11
    for feed in feeds:
        feed.close()


async def test_connections_in_step_are_sent_the_broadcasts_own_frame():
    changes = [(11, join_text(11)), (12, join_text(12))]
    shared = events.presence_changes_text([text for _, text in changes], 12)
    in_step, behind = Outbox(), Outbox()
    feed = PresenceFeed("p-feed-shared", in_step)
    late = PresenceFeed("p-feed-shared", behind)
    await feed.snapshot(presence_frame(10))
    await late.snapshot(presence_frame(9))
    await feed.offer_many(12, changes, shared)
    await late.offer_many(12, changes, shared)  # 10 is missing: held back, not sent
    assert in_step.texts[-1] is shared
    assert behind.kinds() == ["presence"]
    await late.offer(10, join_text(10))
    together = json.loads(behind.texts[-1])
    assert [change["v"] for change in together["changes"]] == [10, 11, 12]
    feed.close()
    late.close()
