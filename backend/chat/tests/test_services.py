"""Storing messages: gap-free per-room sequence numbers under concurrency, nonces."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from chat.identity import Identity
from chat.models import Message
from chat.services import message_store

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
