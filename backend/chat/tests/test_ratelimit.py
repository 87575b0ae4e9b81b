"""Flood control: token buckets per connection and per person, connection caps."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Message
from chat.ratelimit import (
    UNLIMITED,
    RequestBuckets,
    SharedBuckets,
    TokenBucket,
    bucket_new,
    take_from_all,
)
from chat.tests.helpers import HOST, ORIGIN, ChatClient, guest_session, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait():
    clock = FakeClock()
    bucket = TokenBucket(rate=5, burst=10, clock=clock)
    assert [bucket.take() for _ in range(10)] == [0.0] * 10
    assert bucket.take() == pytest.approx(0.2)


def test_a_bucket_refills_at_its_rate():
    clock = FakeClock()
    bucket = TokenBucket(rate=5, burst=10, clock=clock)
    for _ in range(10):
        bucket.take()
    clock.now += 1.0  # five tokens
    assert [bucket.take() for _ in range(5)] == [0.0] * 5
    assert bucket.take() > 0


def test_a_refusal_takes_nothing_from_either_bucket():
    clock = FakeClock()
    roomy = TokenBucket(rate=1, burst=5, clock=clock)
    empty = TokenBucket(rate=1, burst=1, clock=clock)
    assert take_from_all(roomy, empty) == 0.0
    assert take_from_all(roomy, empty) == pytest.approx(1.0)
    assert roomy.take_time() == 0.0 and roomy.tokens == 4


def test_request_buckets_limit_each_key_apart():
    buckets = RequestBuckets(clock=FakeClock())
    assert [buckets.take("a", 1, 2) for _ in range(3)] == [0.0, 0.0, pytest.approx(1.0)]
    assert buckets.take("b", 1, 2) == 0.0


def test_request_buckets_forget_the_full_ones_past_their_size():
    clock = FakeClock()
    buckets = RequestBuckets(keep=3, clock=clock)
    for key in "abc":
        buckets.take(key, 1, 2)
    clock.now += 1  # a, b and c are full again
    buckets.take("d", 1, 2)
    assert len(buckets) == 1
    for _ in range(2):
        buckets.take("d", 1, 2)
    for key in "ef":
        buckets.take(key, 1, 2)
    buckets.take("g", 1, 2)  # d is still emptied: it is kept, and its wait with it
    assert buckets.take("d", 1, 2) > 0


def test_a_rate_of_zero_never_limits():
    bucket = TokenBucket(rate=0, burst=1, clock=FakeClock())
    assert all(bucket.take() == 0.0 for _ in range(1000))


@database_sync_to_async
def stored_count(room: str) -> int:
    return Message.objects.filter(room__name=room).count()


async def test_flooding_is_answered_with_rate_limited(connect_room, settings):
    settings.CHAT_RATE_LIMIT = 1
    settings.CHAT_RATE_BURST = 3
    alice = await connect_room("flood")
    for n in range(3):
        await alice.post(f"m{n}")
    await alice.send({"message": "one too many"})
    error = await alice.receive()
    assert error["code"] == "rate_limited"
    assert 0 < error["retry_after"] <= 1
    assert await stored_count("flood") == 3


async def test_one_persons_tabs_share_a_bucket(connect_room, settings):
    settings.CHAT_RATE_LIMIT = 1
    settings.CHAT_RATE_BURST = 2
    session = await guest_session("alice")
    first = await connect_room("flood-tabs", session=session)
    second = await connect_room("flood-tabs", session=session)
    await first.post("one")
    await second.receive()
    await second.post("two")
    await second.send({"message": "three"})
    assert (await second.receive())["code"] == "rate_limited"


async def test_rate_limit_zero_turns_it_off(connect_room, settings):
    settings.CHAT_RATE_LIMIT = 0
    alice = await connect_room("no-limit")
    for n in range(40):
        await alice.send({"message": f"m{n}"})
    for _ in range(40):
        assert (await alice.receive())["type"] == "message"
    assert await stored_count("no-limit") == 40


async def test_a_connection_that_keeps_flooding_is_closed_with_4429(connect_room, settings):
    settings.CHAT_RATE_LIMIT = 0.01
    settings.CHAT_RATE_BURST = 1
    alice = await connect_room("abuse")
    await alice.post("allowed")
    for _ in range(6):  # more than five bursts' worth of refusals
        await alice.send({"message": "refused"})
    codes = [(await alice.receive())["code"] for _ in range(6)]
    assert codes == ["rate_limited"] * 6
    assert await alice.communicator.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": 4429,
    }


async def test_too_many_tabs_of_one_person_are_refused(connect_room, settings):
    settings.CHAT_MAX_CONNECTIONS_PER_PERSON = 2
    session = await guest_session("alice")
    await connect_room("cap", session=session)
    await connect_room("cap", session=session)
    third = ChatClient("/ws/chat/cap/", [ORIGIN, HOST, session_cookie(session)])
    await third.connect()
    assert (await third.receive())["code"] == "too_many_connections"
    closed = await third.communicator.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 4429}
    await connect_room("cap", session=await guest_session("bob"))  # others still get in


def test_with_limiting_off_every_connection_shares_one_stateless_bucket():
    shared = SharedBuckets()
    assert bucket_new(0, 10) is UNLIMITED
    assert shared.acquire("guest:a", 0, 10) is UNLIMITED
    shared.release("guest:a")  # nothing was tracked, nothing to release
    assert all(take_from_all(UNLIMITED, UNLIMITED) == 0.0 for _ in range(1000))
