"""Posting messages: stored first, in batches, then broadcast to the room.

A message takes its place in its room's order when it is posted. The posts
that queue up for a room while one transaction runs are stored together in
the next one (see ``batching``), with the other rooms' of the moment (see
``storing``), and broadcast as one channel-layer message per room.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async

from chat.identity import Identity
from chat.models import Message
from chat.process import process
from chat.protocol import events
from chat.services.activity import activity_announce
from chat.services.batching import Batcher
from chat.services.broadcast import LAYER_ERRORS, event_broadcast, room_address, send_to
from chat.services.presence import presence_lists
from chat.services.storing import UNSTORABLE, Post, Stored, room_cached, rooms_store
from observability import metrics
from previews.service import Previews

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PostResult:
    message: Message
    frame: str  # the encoded ``message`` frame
    created: bool  # False: the nonce was seen before and nothing new was stored
    broadcast: bool  # False: stored, but Redis could not fan it out right now


# How long after a post could not be stored the process reports not-ready.
STORAGE_TROUBLE_SHOWN_FOR = 60.0
# The longest a connection whose post failed is kept waiting before it is closed.
STORAGE_BACKOFF_MAX = 30.0


class StorageHealth:
    """Whether this process can store messages: an incident begins with a post that
    couldn't be stored (a full disk, the database away) and ends with one that was.
    It is logged once when it begins and once when it ends; meanwhile connections
    whose posts fail are closed after a delay that grows with the failures
    (``backoff``), so clients re-sending in a loop don't hammer the database."""

    __slots__ = ("clock", "failures", "last_failure")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.failures = 0  # in the current incident; 0: none
        self.last_failure: float | None = None

    def failed(self) -> bool:
        """A post could not be stored; True when this begins an incident."""
        self.failures += 1
        self.last_failure = self.clock()
        return self.failures == 1

    def stored(self) -> bool:
        """A post was stored; True when this ends an incident."""
        ended = self.failures > 0
        self.failures = 0
        return ended

    def backoff(self) -> float:
        """Seconds to keep a connection whose post failed open before closing it."""
        if not self.failures:
            return 0.0
        return min(STORAGE_BACKOFF_MAX, 0.5 * 2 ** min(self.failures - 1, 10))

    def failing(self) -> bool:
        """Whether a post failed within STORAGE_TROUBLE_SHOWN_FOR, and none was stored since
        (after that the process says it is ready again, so that clients come back and
        a post can show whether the trouble is over)."""
        return bool(self.failures) and self.clock() - self.last_failure < STORAGE_TROUBLE_SHOWN_FOR


storage = StorageHealth()


def storage_failing() -> bool:
    """For the readiness check: messages can't be stored in this process right now."""
    return storage.failing()


def _storage_outcome(room_name: str, error: BaseException | None) -> None:
    if error is None:
        if storage.stored():
            logger.warning("room %r: messages are stored again", room_name)
    elif storage.failed():
        logger.error(
            "room %r: could not store a message (logged once until one is stored again)",
            room_name,
            exc_info=error,
        )


async def _rooms_store(batches: list[tuple[str, list[Post]]]) -> list:
    """Store rooms' batches (room name, posts) together, with who is in each room whose
    posts may @mention someone (one read of Redis for all)."""
    mentioning = [name for name, posts in batches if any("@" in post.text for post in posts)]
    present = await _present_in(mentioning)
    together = [(name, posts, present.get(name, [])) for name, posts in batches]
    return await database_sync_to_async(rooms_store)(together)


class Posting:
    """This process's posts on their way to the database."""

    def __init__(self) -> None:
        # Batches of different rooms waiting for the database, stored in one
        # transaction each time (the database thread takes one call at a time anyway).
        self.storing = Batcher(_rooms_store)
        self.rooms: dict[str, Batcher] = {}  # the posting queue of each room that has one
        self.previews = Previews()  # of the links in what was stored


async def messages_post(*, room_name: str, posts: list[Post]) -> list[PostResult | Exception]:
    """Store posts to one room (with other rooms' batches of the moment, in one
    transaction), then broadcast the new ones to the room in one go."""
    try:
        outcomes = await process().posting.storing.submit((room_name, posts))
    except UNSTORABLE as exc:
        _storage_outcome(room_name, exc)
        raise
    failure = next((o for o in outcomes if isinstance(o, UNSTORABLE)), None)
    if failure is not None or any(isinstance(o, Stored) and o.created for o in outcomes):
        _storage_outcome(room_name, failure)
    stored = [outcome for outcome in outcomes if isinstance(outcome, Stored)]
    frames = {
        outcome.message.seq: events.event_encode(events.message_event(outcome.message))
        for outcome in stored
    }
    new = [outcome.message.seq for outcome in stored if outcome.created]
    replies = [o.message for o in stored if o.created and o.message.thread is not None]
    # A thread reply sent to the room too: its line there goes out with it, right after.
    copies = [copy for reply in replies if (copy := getattr(reply, "room_copy", None))]
    if copies:
        frames |= {copy.seq: events.event_encode(events.message_event(copy)) for copy in copies}
        new = sorted([*new, *(copy.seq for copy in copies)])
    broadcast = bool(new) and await _broadcast_messages(room_name, [[s, frames[s]] for s in new])
    summaries = {reply.thread: reply.thread_summary for reply in replies}  # the last of each
    for root, summary in summaries.items():
        await event_broadcast(room_name, events.thread_summary_event(root, summary))
    if new and (room := room_cached(room_name)) is not None:
        created = [(o.message, o.mentioned) for o in stored if o.created]
        await activity_announce(room=room, new=created)
    if new:
        process().posting.previews.schedule(room_name, [o.message for o in stored if o.created])
    return [
        outcome
        if isinstance(outcome, Exception)
        else PostResult(
            outcome.message,
            frames[outcome.message.seq],
            outcome.created,
            broadcast=outcome.created and broadcast,
        )
        for outcome in outcomes
    ]


async def present_if_mentioning(room_name: str, texts: list[str]) -> list[dict]:
    """Who is in the room, when a text may @mention them (nothing otherwise)."""
    if not any("@" in text for text in texts):
        return []
    return (await _present_in([room_name])).get(room_name, [])


async def _present_in(room_names: list[str]) -> dict[str, list[dict]]:
    if not room_names:
        return {}
    try:
        return await presence_lists(room_names)
    except LAYER_ERRORS:
        return {}  # signed-up people are still found by username


async def _broadcast_messages(room_name: str, frames: list[list]) -> bool:
    """Send new messages' frames ([seq, frame] pairs) to the room; False if Redis is away."""
    metrics.MESSAGES_POSTED.inc(len(frames))
    try:
        await send_to(
            room_address(room_name), {"type": events.GROUP_MESSAGES_TYPE, "frames": frames}
        )
    except LAYER_ERRORS:
        logger.warning("room %r: stored seq %s but Redis is unreachable", room_name, frames[0][0])
        return False
    return True


def _posting(room_name: str) -> Batcher:
    rooms = process().posting.rooms
    if room_name not in rooms:
        rooms[room_name] = Batcher(
            lambda posts: messages_post(room_name=room_name, posts=posts),
            on_idle=lambda: rooms.pop(room_name, None),
        )
    return rooms[room_name]


def message_post(
    *, room_name: str, identity: Identity, text: str, nonce: str | None = None,
    reply_to: int | None = None, attachments: tuple[int, ...] = (), may_create: bool = True,
    confirm: bool = False, thread: int | None = None, also_room: bool = False,
) -> asyncio.Future:  # fmt: skip
    """Store a message, then broadcast it to every connection of the room (made a public
    room if the name is free, unless not ``may_create``: then refused ``room_gone``).

    The message takes its place in the room's order when this is called, so a
    connection can post several without waiting for each. Messages posted to
    one room at the same time in this process are stored and broadcast
    together (see chat.batching). The future gives the PostResult, or raises
    ActionRefused when the sender is muted in the room, or the database's
    error. Cancelling it before its batch is taken withdraws the message.
    """
    return _posting(room_name).submit(
        Post(
            identity,
            text,
            nonce,
            reply_to,
            attachments,
            may_create,
            confirm,
            thread=thread,
            also_room=also_room,
        )  # fmt: skip
    )
