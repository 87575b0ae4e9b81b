"""A connection's presence frames go out in the order of their versions."""

import json
import sys

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
