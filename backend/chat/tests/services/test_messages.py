"""Storing messages: gap-free per-room sequence numbers under concurrency, nonces, batches."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from chat.identity import Identity
from chat.models import Message, Mute, Room
from chat.services import ActionRefused, messages, storing
from chat.services.messages import STORAGE_BACKOFF_MAX, STORAGE_TROUBLE_SHOWN_FOR, StorageHealth
from chat.services.storing import Post, message_store, messages_store, rooms_store
from chat.tests.helpers import FakeClock

pytestmark = pytest.mark.django_db(transaction=True)

POSTERS = 20
MESSAGES_EACH = 20


def _post_many(poster: int) -> list[int]:
    identity = Identity(f"guest:p{poster}", f"poster-{poster}", True)
    try:
        return [
            message_store(room_name="crowd", identity=identity, text=f"{poster}:{n}", nonce=f"{n}")[
                0
            ].seq
            for n in range(MESSAGES_EACH)
        ]
    finally:
        connection.close()  # each thread has its own connection


def test_concurrent_posters_get_gap_free_unique_seqs():
    with ThreadPoolExecutor(max_workers=POSTERS) as pool:
        results = list(pool.map(_post_many, range(POSTERS)))
    total = POSTERS * MESSAGES_EACH
    seqs = sorted(seq for poster_seqs in results for seq in poster_seqs)
    assert seqs == list(range(1, total + 1))
    stored = list(Message.objects.filter(room__name="crowd").values_list("seq", flat=True))
    assert sorted(stored) == list(range(1, total + 1))
    # Each poster's own messages keep the order they were sent in.
    for poster_seqs in results:
        assert poster_seqs == sorted(poster_seqs)


def _post_batches(poster: int) -> list[list[int]]:
    identity = Identity(f"guest:b{poster}", f"batcher-{poster}", True)
    try:
        return [
            [
                outcome.message.seq
                for outcome in messages_store(
                    room_name="crowd", posts=[Post(identity, f"{batch}.{n}") for n in range(4)]
                )
            ]
            for batch in range(5)
        ]
    finally:
        connection.close()


def test_concurrent_batches_each_get_a_consecutive_run_of_seqs():
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [batch for poster in pool.map(_post_batches, range(8)) for batch in poster]
    assert sorted(seq for batch in results for seq in batch) == list(range(1, 8 * 5 * 4 + 1))
    for batch in results:
        assert batch == list(range(batch[0], batch[0] + 4))


def test_rooms_number_their_messages_independently():
    alice = Identity("guest:a", "alice", True)
    assert message_store(room_name="one", identity=alice, text="x", nonce=None)[0].seq == 1
    assert message_store(room_name="two", identity=alice, text="x", nonce=None)[0].seq == 1
    assert message_store(room_name="one", identity=alice, text="y", nonce=None)[0].seq == 2


def test_a_repeated_nonce_returns_the_stored_message():
    alice = Identity("guest:a", "alice", True)
    first, created = message_store(room_name="r", identity=alice, text="hi", nonce="n1")
    again, created_again = message_store(room_name="r", identity=alice, text="hi", nonce="n1")
    assert created and not created_again
    assert again.pk == first.pk
    assert Message.objects.count() == 1


def test_the_same_nonce_raced_from_many_threads_is_stored_once():
    alice = Identity("guest:a", "alice", True)

    def post(_):
        try:
            return message_store(room_name="race", identity=alice, text="hi", nonce="same")[0].pk
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        pks = set(pool.map(post, range(8)))
    assert len(pks) == 1
    assert list(Message.objects.values_list("seq", flat=True)) == [1]


BOB = Identity("guest:b", "bob", True)
CAROL = Identity("guest:c", "carol", True)


def test_a_batch_is_stored_under_consecutive_seqs_in_its_order():
    posts = [Post(BOB, f"m{n}", f"n{n}") for n in range(5)]
    outcomes = messages_store(room_name="batch", posts=posts)
    assert [o.message.seq for o in outcomes] == [1, 2, 3, 4, 5]
    assert [o.message.body for o in outcomes] == [f"m{n}" for n in range(5)]
    assert all(o.created for o in outcomes)
    assert Room.objects.get(name="batch").last_seq == 5


def test_a_batch_repeating_a_nonce_stores_it_once():
    message_store(room_name="batch", identity=BOB, text="earlier", nonce="old")
    posts = [Post(BOB, "again", "old"), Post(BOB, "new", "fresh"), Post(BOB, "twice", "fresh")]
    outcomes = messages_store(room_name="batch", posts=posts)
    assert [(o.message.body, o.created) for o in outcomes] == [
        ("earlier", False),
        ("new", True),
        ("new", False),
    ]
    assert Message.objects.count() == 2


def test_a_muted_sender_is_refused_and_the_rest_of_the_batch_is_stored():
    message_store(room_name="batch", identity=CAROL, text="before", nonce=None)
    Mute.objects.create(
        room=Room.objects.get(name="batch"),
        sender_key=CAROL.key,
        name=CAROL.name,
        until=timezone.now() + timedelta(minutes=5),
    )
    outcomes = messages_store(
        room_name="batch", posts=[Post(BOB, "one"), Post(CAROL, "muted"), Post(BOB, "two")]
    )
    assert isinstance(outcomes[1], ActionRefused) and outcomes[1].code == "muted"
    assert [outcomes[0].message.seq, outcomes[2].message.seq] == [2, 3]


def test_a_nonce_that_raced_in_from_elsewhere_does_not_fail_the_batch(monkeypatch):
    message_store(room_name="batch", identity=BOB, text="won", nonce="race")
    real_lookup = storing._messages_by_nonce
    lookups = []

    def lookup_missing_it_once(placed):
        # The first look misses "race", as if another process stored it just after.
        lookups.append(placed)
        return {} if len(lookups) == 1 else real_lookup(placed)

    monkeypatch.setattr(storing, "_messages_by_nonce", lookup_missing_it_once)
    posts = [Post(BOB, "first"), Post(BOB, "lost", "race"), Post(BOB, "last")]
    outcomes = messages_store(room_name="batch", posts=posts)
    assert [o.message.body for o in outcomes] == ["first", "won", "last"]
    assert [o.created for o in outcomes] == [True, False, True]
    assert Message.objects.filter(room__name="batch").count() == 3


def test_a_post_the_database_refuses_fails_alone_and_its_senders_later_posts_with_it():
    posts = [
        Post(BOB, "before"),
        Post(CAROL, "half a pair \ud800"),  # no database can store it
        Post(BOB, "after"),
        Post(CAROL, "behind the bad one"),
    ]
    outcomes = messages_store(room_name="batch", posts=posts)
    assert [o.message.body for o in (outcomes[0], outcomes[2])] == ["before", "after"]
    assert isinstance(outcomes[1], ValueError) and outcomes[3] is outcomes[1]
    assert list(Message.objects.values_list("body", flat=True)) == ["before", "after"]


def test_batches_of_several_rooms_are_stored_together_and_a_failing_room_fails_alone():
    outcomes = rooms_store([
        ("together-b", [Post(BOB, "b1"), Post(BOB, "b2")], []),
        ("together-a", [Post(CAROL, "half a pair \ud800")], []),  # no database can store it
        ("together-c", [Post(CAROL, "c1")], []),
    ])  # fmt: skip
    assert [(o.message.seq, o.message.body) for o in outcomes[0]] == [(1, "b1"), (2, "b2")]
    assert isinstance(outcomes[1], ValueError)
    assert [(o.message.seq, o.message.body) for o in outcomes[2]] == [(1, "c1")]
    stored = Message.objects.order_by("body").values_list("room__name", "body")
    assert list(stored) == [("together-b", "b1"), ("together-b", "b2"), ("together-c", "c1")]


# --- storage trouble: logged once per incident, backed off, reported -------------------


def test_a_storage_incident_begins_once_and_ends_with_a_stored_post():
    clock = FakeClock()
    health = StorageHealth(clock)
    assert not health.failing() and health.backoff() == 0.0
    assert health.failed()
    assert not health.failed()
    assert health.failing()
    assert health.stored()
    assert not health.stored()
    assert not health.failing()


def test_the_backoff_grows_with_the_failures_up_to_a_limit():
    health = StorageHealth(FakeClock())
    delays = []
    for _ in range(12):
        health.failed()
        delays.append(health.backoff())
    assert delays[:3] == [0.5, 1.0, 2.0]
    assert delays == sorted(delays) and delays[-1] == STORAGE_BACKOFF_MAX


def test_storage_trouble_is_reported_for_a_while_after_the_last_failure():
    clock = FakeClock()
    health = StorageHealth(clock)
    health.failed()
    clock.advance(STORAGE_TROUBLE_SHOWN_FOR - 1)
    assert health.failing()
    clock.advance(2)
    assert not health.failing()  # so that clients come back and show whether it is over


async def test_a_full_disk_is_logged_once_until_a_message_is_stored_again(monkeypatch, caplog):
    monkeypatch.setattr(messages, "storage", StorageHealth(FakeClock()))
    real_insert = storing._insert

    def full_disk(batch, now):
        raise OperationalError("could not extend file: No space left on device")

    monkeypatch.setattr(storing, "_insert", full_disk)
    for n in range(5):
        with pytest.raises(OperationalError):
            await messages.message_post(room_name="full", identity=BOB, text=f"m{n}")
    assert messages.storage_failing()
    errors = [r for r in caplog.records if r.name == messages.__name__ and r.levelname == "ERROR"]
    assert len(errors) == 1
    monkeypatch.setattr(storing, "_insert", real_insert)
    await messages.message_post(room_name="full", identity=BOB, text="room again")
    assert not messages.storage_failing()
    assert "messages are stored again" in caplog.text
