"""Posts in flight: answered once stored, refused with their nonce, withdrawn on failure."""

import functools
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import DatabaseError
from django.utils import timezone

from chat.identity import Identity
from chat.models import Message, Mute, Room
from chat.process import process
from chat.protocol.frames import SendMessage
from chat.realtime.posting import PostsInFlight
from chat.realtime.session import Session
from chat.services import messages, storing
from chat.services.messages import StorageHealth
from chat.tests.helpers import FakeClock, Outbox, eventually

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = Identity("guest:alice-posting", "alice", True)


class Failures:
    """Stands in for closing the connection: counts the calls."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


def posts_of(room: str) -> tuple[PostsInFlight, Outbox, Failures]:
    outbox, failures = Outbox(), Failures()
    return PostsInFlight(Session(room, ALICE, outbox), failures), outbox, failures


@database_sync_to_async
def bodies(room: str) -> list[str]:
    return list(
        Message.objects.filter(room__name=room).order_by("seq").values_list("body", flat=True)
    )


async def test_a_post_that_cannot_be_stored_closes_the_connection_and_withdraws_later_ones(
    monkeypatch,
):
    real_insert = storing._insert

    def insert(batch, now):
        if any(message.body == "bad" for message in batch):
            raise DatabaseError("disk full")
        real_insert(batch, now)

    monkeypatch.setattr(storing, "_insert", insert)
    monkeypatch.setattr(messages, "storage", StorageHealth(FakeClock()))
    posts, _, failures = posts_of("posting-fail")
    for text in ("first", "bad", "later"):
        await posts.post(SendMessage(text, nonce=text))
    await eventually(lambda: failures.count and not posts.posting, what="the posts to end")
    assert failures.count == 1  # closed once, though two posts failed
    assert await bodies("posting-fail") == ["first"]  # "later" was not stored after "bad"


async def test_while_storing_keeps_failing_each_close_waits_longer_and_later_posts_wait(
    monkeypatch,
):
    """A full disk: pages reconnecting and re-sending in a loop are slowed down."""
    monkeypatch.setattr(messages, "storage", StorageHealth(FakeClock()))

    def full_disk(batch, now):
        raise DatabaseError("No space left on device")

    monkeypatch.setattr(storing, "_insert", full_disk)
    waits = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    for _ in range(3):
        outbox, failures = Outbox(), Failures()
        posts = PostsInFlight(Session("posting-full", ALICE, outbox), failures, sleep=sleep)
        await posts.post(SendMessage("hello", nonce="n1"))
        await eventually(functools.partial(getattr, failures, "count"), what="the close")
        await posts.post(SendMessage("after", nonce="n2"))  # not tried: it is closing
        assert not posts.posting
    assert waits == [0.5, 1.0, 2.0]


async def test_a_repeated_nonce_is_acknowledged_to_its_sender_directly():
    posts, outbox, _ = posts_of("posting-repeat")
    await posts.post(SendMessage("once", nonce="n1"))
    await posts.post(SendMessage("once", nonce="n1"))
    # The first is answered by the room's broadcast (this session is in no room);
    # the repeat stores nothing, so its answer comes directly.
    await eventually(lambda: outbox.texts, what="the acknowledgement")
    assert [json.loads(text)["seq"] for text in outbox.texts] == [1]
    assert await bodies("posting-repeat") == ["once"]


async def test_a_direct_acknowledgement_is_not_sent_to_a_connection_that_has_the_seq():
    """Such as one that caught up from the database after Redis came back."""
    posts, outbox, _ = posts_of("posting-caught-up")
    await posts.post(SendMessage("once", nonce="n1"))
    await eventually(lambda: not posts.posting, what="the post to be stored")
    await posts.session.start(after="0")  # the catch-up: the message, then ready
    await posts.post(SendMessage("once", nonce="n1"))  # stored before: acknowledged directly
    await eventually(lambda: not process().tasks, what="the repeat to be answered")
    assert [json.loads(t).get("seq") for t in outbox.texts if '"message"' in t] == [1]
    posts.session.close()


async def test_a_refused_post_is_answered_with_an_error_naming_its_nonce():
    room = await database_sync_to_async(Room.objects.create)(name="posting-muted")
    await database_sync_to_async(Mute.objects.create)(
        room=room, sender_key=ALICE.key, name="alice", until=timezone.now() + timedelta(minutes=5)
    )
    posts, outbox, failures = posts_of("posting-muted")
    await posts.post(SendMessage("hello?", nonce="n-muted"))
    await eventually(lambda: outbox.texts, what="the refusal")
    error = json.loads(outbox.texts[0])
    assert (error["type"], error["code"], error["nonce"]) == ("error", "muted", "n-muted")
    assert failures.count == 0
