"""The post gate: flood control, the order hold after a refusal, flooding, typing."""

import pytest

from chat.ratelimit import TokenBucket
from chat.realtime.post_gate import (
    ABUSE_WINDOW,
    HOLD_ORDER_FOR,
    REPLAYED_PER_SECOND,
    RESUME_BURST,
    RESUME_INTERVAL,
    PostGate,
)
from chat.tests.helpers import FakeClock


def gate_of(clock: FakeClock, *, rate=1.0, burst=2, person_bucket=None, abuse_limit=50):
    person_bucket = person_bucket or TokenBucket(100, 100, clock)
    return PostGate(TokenBucket(rate, burst, clock), person_bucket, abuse_limit=abuse_limit,
                    clock=clock)  # fmt: skip


def test_posts_within_the_burst_go_and_the_next_is_told_how_long_to_wait():
    clock = FakeClock()
    gate = gate_of(clock, rate=2, burst=2)
    assert gate.wait_for("a") == 0.0
    assert gate.wait_for("b") == 0.0
    assert gate.wait_for("c") == 0.5
    clock.advance(0.5)
    assert gate.wait_for("c") == 0.0


def test_after_a_refusal_later_posts_wait_for_the_refused_one():
    clock = FakeClock()
    gate = gate_of(clock, rate=4, burst=1)
    assert gate.wait_for("n1") == 0.0
    assert gate.wait_for("n2") > 0  # refused: no token left
    clock.advance(1)  # tokens are back...
    assert gate.wait_for("n3") > 0  # ...but n2 goes first
    assert gate.wait_for("n2") == 0.0
    assert gate.wait_for("n3") > 0  # its own token is spent
    clock.advance(0.25)
    assert gate.wait_for("n3") == 0.0


def test_the_order_hold_ends_after_its_time():
    clock = FakeClock()
    gate = gate_of(clock, rate=1, burst=1)
    gate.wait_for("first")
    assert gate.wait_for("refused") > 0
    clock.advance(HOLD_ORDER_FOR + 1)
    assert gate.wait_for("another") == 0.0


def test_a_persons_tabs_share_their_bucket():
    clock = FakeClock()
    person = TokenBucket(1, 2, clock)
    first, second = gate_of(clock, person_bucket=person), gate_of(clock, person_bucket=person)
    assert first.wait_for(None) == 0.0
    assert second.wait_for(None) == 0.0
    assert second.wait_for(None) > 0
    assert first.wait_for(None) > 0


def test_a_refused_post_takes_no_token_from_either_bucket():
    clock = FakeClock()
    person = TokenBucket(1, 1, clock)
    gate = gate_of(clock, rate=1, burst=5, person_bucket=person)
    gate.wait_for(None)
    assert gate.wait_for(None) > 0  # the person's bucket is empty
    assert gate.bucket.tokens == 4  # the connection's kept its token


def test_refusals_past_the_limit_within_the_window_mean_flooding():
    clock = FakeClock()
    gate = gate_of(clock, rate=0.01, burst=1, abuse_limit=3)
    gate.wait_for(None)
    for _ in range(3):
        gate.wait_for(None)
    assert not gate.flooding
    clock.advance(ABUSE_WINDOW + 1)  # the old refusals no longer count
    for _ in range(3):
        gate.wait_for(None)
    assert not gate.flooding
    gate.wait_for(None)
    assert gate.flooding


def test_typing_is_news_at_most_once_a_second_and_again_after_a_post():
    clock = FakeClock()
    gate = gate_of(clock)
    assert gate.typing_due()
    clock.advance(0.5)
    assert not gate.typing_due()
    clock.advance(0.6)
    assert gate.typing_due()
    gate.wait_for(None)  # a post ends the typing
    assert gate.typing_due()


def test_a_refusal_says_how_long_to_wait():
    clock = FakeClock()
    gate = gate_of(clock, rate=2, burst=1)
    assert gate.refusal("a") is None
    refusal = gate.refusal("b")
    assert (refusal.code, refusal.retry_after) == ("rate_limited", 0.5)
    assert "wait 0.5 s" in refusal.detail


def test_deletes_and_mutes_take_the_connections_tokens_and_count_as_refusals():
    clock = FakeClock()
    gate = gate_of(clock, rate=1, burst=2, abuse_limit=1)
    assert gate.action_refusal() is None
    assert gate.wait_for("a") == 0.0  # actions and posts share the bucket
    refusal = gate.action_refusal()
    assert refusal.code == "rate_limited" and refusal.retry_after == 1.0
    assert not gate.flooding
    gate.action_refusal()
    assert gate.flooding


def test_typing_faster_than_once_a_second_counts_towards_flooding():
    clock = FakeClock()
    gate = gate_of(clock, abuse_limit=2)
    for _ in range(4):
        gate.typing_due()
    assert gate.flooding


def test_resumes_past_a_few_at_once_wait_their_turn():
    clock = FakeClock()
    gate = gate_of(clock)
    assert [gate.resume_wait() for _ in range(RESUME_BURST)] == [0.0] * RESUME_BURST
    assert gate.resume_wait() == RESUME_INTERVAL
    clock.advance(RESUME_INTERVAL)
    assert gate.resume_wait() == RESUME_INTERVAL  # the one before took this second's


def test_resumes_that_replayed_many_messages_wait_until_the_allowance_is_back():
    clock = FakeClock()
    gate = gate_of(clock)
    assert gate.resume_wait() == 0.0
    gate.replayed(1000, 1000)  # a whole allowance at once
    assert gate.resume_wait() == pytest.approx(1 / REPLAYED_PER_SECOND)
    gate.replayed(500, 1000)  # sent anyway (it never refuses): the next waits for them
    clock.advance(RESUME_INTERVAL)
    assert gate.resume_wait() == pytest.approx((500 + 1) / REPLAYED_PER_SECOND - RESUME_INTERVAL)
    clock.advance(10)
    assert gate.resume_wait() == 0.0


def test_a_flooding_connection_is_closed_once():
    clock = FakeClock()
    gate = gate_of(clock, rate=0.01, burst=1, abuse_limit=1)
    gate.wait_for(None)
    gate.wait_for(None)
    assert not gate.close_now()
    gate.wait_for(None)
    assert gate.close_now() and gate.closing
    gate.wait_for(None)
    assert not gate.close_now()
