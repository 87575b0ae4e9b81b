"""Who is online: one entry per person, right across processes, no ghosts."""

import time

import pytest

from chat.identity import Identity
from chat.services.presence import PresenceTracker, announce
from chat.tests.helpers import FakeClock, guest_session

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
    dead = PresenceTracker("proc-dead", ttl=30)
    await dead.join("p-ghost", BOB)  # then the process "dies": no leave, no heartbeat
    watcher = await connect_room("p-ghost", session=await guest_session("alice"))
    assert names((await next_presence(watcher, "presence"))["users"]) == ["alice", "bob"]
    clock = FakeClock(time.time())
    alive = PresenceTracker("proc-alive", clock=clock)
    clock.advance(29)
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
