"""Who is online: one entry per person, right across processes, no ghosts."""

import asyncio
import time
from pathlib import Path

import pytest
import redis.asyncio
import redis.exceptions
from asgiref.sync import sync_to_async

from chat.identity import Identity
from chat.services.presence import TTL, PresenceTracker, announce, presence_snapshot
from chat.services.presence.store import room_keys
from chat.tests.helpers import FakeClock, eventually, guest_session

pytestmark = pytest.mark.django_db(transaction=True)

PRESENCE = frozenset({"presence", "join", "leave"})


def names(users) -> list[str]:
    return sorted(user["user"] for user in users)


async def next_presence(client, kind: str, user: str | None = None) -> dict:
    """The next presence frame of ``kind`` (about ``user``, if given), looking at the
    frames already set aside first."""

    def wanted(frame) -> bool:
        return frame["type"] == kind and (user is None or frame["user"]["user"] == user)

    for frame in list(client.set_aside):
        client.set_aside.remove(frame)
        if wanted(frame):
            return frame
    while not wanted(frame := await client.receive(kinds={kind})):
        pass
    return frame


async def test_a_joining_tab_gets_a_snapshot_including_itself(connect_room):
    alice = await connect_room("p-snap", session=await guest_session("alice"))
    snapshot = await next_presence(alice, "presence")
    assert names(snapshot["users"]) == ["alice"]
    assert set(snapshot["users"][0]) == {"id", "user", "guest"}


async def test_others_see_a_join_and_a_leave(connect_room):
    alice = await connect_room("p-live", session=await guest_session("alice"))
    await next_presence(alice, "presence")
    bob = await connect_room("p-live", session=await guest_session("bob"))
    assert names((await next_presence(bob, "presence"))["users"]) == ["alice", "bob"]
    assert await next_presence(alice, "join", "bob")
    await bob.close()
    assert await next_presence(alice, "leave", "bob")


async def test_two_tabs_of_one_person_count_once(connect_room):
    alice_session = await guest_session("alice")
    bob = await connect_room("p-tabs", session=await guest_session("bob"))
    await next_presence(bob, "presence")
    await connect_room("p-tabs", session=alice_session)
    assert await next_presence(bob, "join", "alice")
    second_tab = await connect_room("p-tabs", session=alice_session)
    assert names((await next_presence(second_tab, "presence"))["users"]) == ["alice", "bob"]
    assert await bob.receive_nothing(kinds={"join"})
    await second_tab.close()
    assert await bob.receive_nothing(kinds={"leave"})


async def test_the_last_tab_closing_is_a_leave(connect_room):
    alice_session = await guest_session("alice")
    bob = await connect_room("p-last", session=await guest_session("bob"))
    first = await connect_room("p-last", session=alice_session)
    second = await connect_room("p-last", session=alice_session)
    await first.close()
    await second.close()
    assert await next_presence(bob, "leave", "alice")


ALICE = Identity("guest:alice", "alice", True)
BOB = Identity("guest:bob", "bob", True)


async def test_two_processes_holding_one_person_count_once():
    one, two = PresenceTracker("proc-one"), PresenceTracker("proc-two")
    first = await one.join("p-procs", ALICE)
    second = await two.join("p-procs", ALICE)
    assert first.joined["user"] == "alice"
    assert second.joined is None
    assert names((await one.snapshot("p-procs")).users) == ["alice"]
    assert (await one.leave("p-procs", ALICE)).left == []
    assert names((await two.snapshot("p-procs")).users) == ["alice"]
    assert names((await two.leave("p-procs", ALICE)).left) == ["alice"]
    assert (await one.snapshot("p-procs")).users == []


async def test_versions_order_changes_across_processes():
    one, two = PresenceTracker("proc-one"), PresenceTracker("proc-two")
    joined = await one.join("p-version", ALICE)
    left = await one.leave("p-version", ALICE)
    again = await two.join("p-version", ALICE)
    assert joined.version < left.version < again.version


async def test_a_dead_process_leaves_no_ghost_after_its_ttl(connect_room):
    dead = PresenceTracker("proc-dead", ttl=20)
    await dead.join("p-ghost", BOB)  # then the process "dies": no leave, no heartbeat
    watcher = await connect_room("p-ghost", session=await guest_session("alice"))
    assert names((await next_presence(watcher, "presence"))["users"]) == ["alice", "bob"]
    clock = FakeClock(time.time())
    alive = PresenceTracker("proc-alive", clock=clock)
    clock.advance(19)
    assert names((await alive.snapshot("p-ghost")).users) == ["alice", "bob"]
    clock.advance(2)  # past bob's expiry time
    snapshot = await alive.snapshot("p-ghost")
    await announce("p-ghost", snapshot)
    assert names(snapshot.users) == ["alice"]
    assert await next_presence(watcher, "leave", "bob")


async def test_a_heartbeat_keeps_a_live_process_present():
    clock = FakeClock(time.time())
    live = PresenceTracker("proc-live", ttl=30, clock=clock)
    await live.join("p-beat", ALICE)
    other = PresenceTracker("proc-other", clock=clock)
    for _ in range(4):
        clock.advance(20)  # 80 s in all, each beat within the 30 s lifetime
        await live.refresh()
    assert names((await other.snapshot("p-beat")).users) == ["alice"]
    clock.advance(31)  # no beat for longer than the lifetime
    assert names((await other.snapshot("p-beat")).users) == []


async def test_online_counts_per_room():
    tracker = PresenceTracker("proc-count")
    await tracker.join("p-count-a", ALICE)
    await tracker.join("p-count-a", BOB)
    await tracker.join("p-count-b", ALICE)
    counts = await tracker.online_counts(["p-count-a", "p-count-b", "p-count-c"])
    assert counts == {"p-count-a": 2, "p-count-b": 1, "p-count-c": 0}


class PageList:
    """Who a page lists, applying presence frames by the documented rule: a snapshot
    unless a later ``v`` was applied, a join or leave only when its ``v`` is above the
    last one applied."""

    def __init__(self, client) -> None:
        self.client = client
        self.version = -1
        self.people: dict[str, str] = {}
        self.snapshots = 0

    def apply(self, frame: dict) -> None:
        if frame["type"] == "presence_changes":
            for change in frame["changes"]:
                self.apply(change)
        elif frame["type"] == "presence" and frame["v"] >= self.version:
            self.version, self.snapshots = frame["v"], self.snapshots + 1
            self.people = {user["id"]: user["user"] for user in frame["users"]}
        elif frame["type"] in ("join", "leave") and frame["v"] > self.version:
            self.version = frame["v"]
            if frame["type"] == "join":
                self.people[frame["user"]["id"]] = frame["user"]["user"]
            else:
                self.people.pop(frame["user"]["id"], None)

    async def names(self) -> list[str]:
        """The list after every frame that has come so far."""
        while self.client.set_aside:
            self.apply(self.client.set_aside.pop(0))
        while not await self.client.communicator.receive_nothing(timeout=0.02, interval=0.01):
            self.apply(await self.client.next())
        return sorted(self.people.values())

    async def shows(self, expected: list[str], timeout: float = 3.0) -> None:
        async def right() -> bool:
            return await self.names() == sorted(expected)

        await eventually(right, what=f"the list to show {expected}", timeout=timeout)


CAROL = Identity("guest:carol", "carol", True)


async def test_changes_announced_out_of_order_still_reach_the_list(connect_room):
    alice = PageList(await connect_room("p-order", session=await guest_session("alice")))
    await alice.shows(["alice"])
    two, three = PresenceTracker("proc-two"), PresenceTracker("proc-three")
    bob_joined = await two.join("p-order", BOB)
    carol_joined = await three.join("p-order", CAROL)
    await announce("p-order", carol_joined)  # the later change is published first
    await announce("p-order", bob_joined)
    await alice.shows(["alice", "bob", "carol"])


async def test_a_change_never_delivered_is_made_good_within_seconds(connect_room):
    alice = PageList(await connect_room("p-lost", session=await guest_session("alice")))
    await alice.shows(["alice"])
    await PresenceTracker("proc-two").join("p-lost", BOB)  # its announcement is lost
    await announce("p-lost", await PresenceTracker("proc-three").join("p-lost", CAROL))
    await alice.shows(["alice", "bob", "carol"])


async def test_a_purge_and_a_join_in_one_update_each_reach_the_list(connect_room):
    alice = PageList(await connect_room("p-purge", session=await guest_session("alice")))
    await alice.shows(["alice"])
    dead = PresenceTracker("proc-dead", clock=FakeClock(time.time() - 1000))
    await announce("p-purge", await dead.join("p-purge", BOB))  # long expired
    await alice.shows(["alice", "bob"])
    # Carol's join purges bob: a leave and a join from one update.
    await announce("p-purge", await PresenceTracker("proc-two").join("p-purge", CAROL))
    await alice.shows(["alice", "carol"])


async def test_versions_keep_rising_after_redis_loses_its_data(connect_room, redis_url):
    alice = PageList(await connect_room("p-flushed", session=await guest_session("alice")))
    await alice.shows(["alice"])
    before = alice.version
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        await client.delete(*room_keys("p-flushed"))  # as a Redis restarted empty would be
    finally:
        await client.aclose()
    joined = await PresenceTracker("proc-two").join("p-flushed", BOB)
    assert joined.version > before
    await announce("p-flushed", joined)
    await alice.shows(["bob"])  # alice's own process re-registers her on its next beat


async def test_many_people_joining_at_once_all_reach_every_list(connect_room):
    sessions = [await guest_session(f"guest{i}") for i in range(8)]
    watcher = PageList(await connect_room("p-burst", session=await guest_session("watcher")))
    await watcher.shows(["watcher"])
    trackers = [PresenceTracker(f"proc-{i}") for i in range(3)]  # other server processes

    async def elsewhere(i: int) -> None:
        identity = Identity(f"guest:far{i}", f"far{i}", True)
        await announce("p-burst", await trackers[i % 3].join("p-burst", identity))

    joined = await asyncio.gather(
        *(elsewhere(i) for i in range(8)),
        *(connect_room("p-burst", session=session) for session in sessions),
    )
    everyone = ["watcher"] + [f"far{i}" for i in range(8)] + [f"guest{i}" for i in range(8)]
    await watcher.shows(everyone)
    for client in joined[8:]:
        await PageList(client).shows(everyone)


async def test_online_counts_leave_out_a_dead_process_after_its_ttl():
    clock = FakeClock(time.time())
    dead = PresenceTracker("proc-dead", clock=clock)
    await dead.join("p-dead-count", ALICE)  # then no heartbeat and no leave
    counter = PresenceTracker("proc-counter", clock=clock)
    assert await counter.online_counts(["p-dead-count"]) == {"p-dead-count": 1}
    clock.advance(TTL + 1)
    assert await counter.online_counts(["p-dead-count"]) == {"p-dead-count": 0}


def test_the_documented_ghost_lifetime_is_the_ttl():
    protocol = (Path(__file__).parents[4] / "docs" / "protocol.md").read_text()
    assert TTL <= 30
    assert f"within {TTL:g} seconds" in protocol


async def registered(room: str, count: int) -> bool:
    """Whether Redis lists ``count`` people in ``room`` (False while it is unreachable)."""
    try:
        counts = await PresenceTracker("proc-counter").online_counts([room])
    except redis.exceptions.RedisError:
        return False
    return counts[room] == count


async def test_lists_converge_after_redis_restarts_empty(own_redis, connect_room):
    alice = PageList(await connect_room("p-restart", session=await guest_session("alice")))
    bob = PageList(await connect_room("p-restart", session=await guest_session("bob")))
    await alice.shows(["alice", "bob"])
    await bob.shows(["alice", "bob"])
    await sync_to_async(own_redis.stop)()
    await sync_to_async(own_redis.start)()
    # The server notices and registers its people again (the data went with the restart).
    await eventually(lambda: registered("p-restart", 2), what="alice and bob again", timeout=5)
    carol = PageList(await connect_room("p-restart", session=await guest_session("carol")))
    for page in (alice, bob, carol):
        await page.shows(["alice", "bob", "carol"])


async def test_a_leave_during_a_redis_outage_reaches_the_lists_after_it(own_redis, connect_room):
    alice = PageList(await connect_room("p-away", session=await guest_session("alice")))
    bob_client = await connect_room("p-away", session=await guest_session("bob"))
    await alice.shows(["alice", "bob"])
    await sync_to_async(own_redis.stop)()
    await bob_client.close()  # the leave can't be recorded or announced
    await sync_to_async(own_redis.start)()
    await eventually(lambda: registered("p-away", 1), what="alice alone again", timeout=5)
    await alice.shows(["alice"])


async def test_people_joining_together_are_announced_in_a_few_frames(connect_room):
    watcher = PageList(await connect_room("p-together", session=await guest_session("watcher")))
    await watcher.shows(["watcher"])
    names = [f"joiner-{index:02d}" for index in range(20)]
    sessions = [await guest_session(name) for name in names]
    await asyncio.gather(*(connect_room("p-together", session=key) for key in sessions))
    await watcher.shows(["watcher", *names])
    announced = [f for f in watcher.client.frames if f["type"] in ("join", "presence_changes")]
    # One frame a joiner would be 20; joins close together share one.
    assert len(announced) <= len(names) // 2, [f["type"] for f in announced]


async def test_snapshots_asked_for_at_the_same_moment_share_one_read(connect_room, monkeypatch):
    await connect_room("p-shared", session=await guest_session("alice"))
    # A join reaches Redis with its room's next update (within 0.2 s), after `ready`.
    await eventually(lambda: registered("p-shared", 1), what="alice registered", timeout=5)
    reads = []
    real = PresenceTracker.snapshot

    async def counted(self, room_name):
        reads.append(room_name)
        return await real(self, room_name)

    monkeypatch.setattr(PresenceTracker, "snapshot", counted)
    frames = await asyncio.gather(*(presence_snapshot("p-shared") for _ in range(20)))
    assert reads == ["p-shared"]
    assert all(frame == frames[0] for frame in frames)
    assert [user["user"] for user in frames[0]["users"]] == ["alice"]
