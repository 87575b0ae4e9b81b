"""Posting messages: stored first, in batches, then broadcast to the room.

A message takes its place in its room's order when it is posted. The posts
that queue up for a room while one transaction runs are stored together in
the next one (see ``batching``) and broadcast as one channel-layer message.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from observability import metrics

from chat.formatting import message_html
from chat.identity import Identity
from chat.loops import per_event_loop
from chat.models import Attachment, Membership, Mention, Message, Mute, Room
from chat.protocol import events
from chat.services import ActionRefused
from chat.services.activity import activity_announce
from chat.services.batching import Batcher
from chat.services.broadcast import LAYER_ERRORS, room_address, send_to
from chat.services.mentions import mentions_resolve
from chat.services.presence import presence

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Post:
    """A message someone asked to post."""

    identity: Identity
    text: str
    nonce: str | None = None
    reply_to: int | None = None  # the seq of the message it replies to
    attachments: tuple[int, ...] = ()  # ids of the sender's uploads to send with it


@dataclass(frozen=True)
class Stored:
    message: Message
    created: bool  # False: the nonce was seen before and nothing new was stored
    mentioned: tuple[int, ...] = ()  # signed-up people it @mentions (user ids)


@dataclass(frozen=True)
class PostResult:
    message: Message
    frame: str  # the encoded ``message`` frame
    created: bool  # False: the nonce was seen before and nothing new was stored
    broadcast: bool  # False: stored, but Redis could not fan it out right now


# What the database (or its driver, for text it can't encode) raises for a post.
UNSTORABLE = (DatabaseError, ValueError)


class _RoomGone(Exception):
    pass


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


# Rooms by name, so posting doesn't look the room up every time. A free name
# becomes a public room.
_rooms: dict[str, Room] = {}


def _room(room_name: str) -> Room:
    if room_name not in _rooms:
        _rooms[room_name] = Room.objects.get_or_create(name=room_name)[0]
    return _rooms[room_name]


def messages_store(
    *, room_name: str, posts: list[Post], present: list[dict] = ()
) -> list[Stored | Exception]:
    """Store posts to one room under its next seqs, in order, in one transaction.

    Returns, for each post, what was stored, or why it wasn't: ActionRefused
    when its sender is muted in the room, or the database's error. A nonce the
    same sender already used in the room
    gives back the stored message instead of a new one. The room row is locked
    while the seqs are taken (an UPDATE on PostgreSQL, the write lock of BEGIN
    IMMEDIATE on SQLite), so writers in any number of processes get
    consecutive, unique seqs. ``present``: who is in the room, for @mentions.
    """
    room = _room(room_name)
    outsiders = _outsiders(room, posts)
    if outsiders:  # the room in the cache may be an older one of that name: read it again
        _rooms.pop(room_name, None)
        room = _room(room_name)
        outsiders = _outsiders(room, posts)
    room_id = room.pk
    outcomes: list[Stored | ActionRefused | None] = [None] * len(posts)
    known = _messages_by_nonce(room_id, posts)
    mutes = _mutes(room_id, {post.identity.key for post in posts})
    replied = _replied(room_id, posts)
    uploads = _uploads(room_id, posts)
    fresh: dict[int, Message] = {}  # post index -> its new message
    repeats: dict[int, tuple] = {}  # post index -> the nonce of an earlier post in this batch
    new_nonces: set[tuple] = set()
    for index, post in enumerate(posts):
        key = (post.identity.key, post.nonce)
        if post.nonce is not None and key in known:
            outcomes[index] = Stored(known[key], created=False)
        elif post.identity.key in outsiders:
            outcomes[index] = ActionRefused("forbidden", "Only this room's members can post here.")
        elif post.identity.key in mutes:
            outcomes[index] = _muted(mutes[post.identity.key])
        elif post.nonce is not None and key in new_nonces:
            repeats[index] = key
        elif post.reply_to is not None and post.reply_to not in replied:
            outcomes[index] = ActionRefused(
                "unknown_message", f"There is no message {post.reply_to} here to reply to."
            )
        elif any(uploads.get(i) != post.identity.key for i in post.attachments):
            outcomes[index] = ActionRefused(
                "invalid_attachment",
                "An attachment isn't one of your uploads to this room waiting to be sent.",
            )
        else:
            new_nonces.add(key)
            fresh[index] = _message_new(room_id, post, replied.get(post.reply_to))
            fresh[index].attachment_ids = post.attachments
    mentioned_users = mentions_set(room_id, list(fresh.values()), present)
    if fresh:
        try:
            _insert(room_id, room_name, list(fresh.values()), mentioned_users)
        except _RoomGone:
            # The room was deleted (in the admin) since it was cached.
            _rooms.pop(room_name, None)
            return messages_store(room_name=room_name, posts=posts, present=present)
        except IntegrityError:
            if len(posts) == 1:
                # The same nonce raced in from another tab or process; that one won.
                if stored := _messages_by_nonce(room_id, posts):
                    return [Stored(next(iter(stored.values())), created=False)]
                raise
            return _store_one_by_one(room_name, posts, present)
        except UNSTORABLE:
            if len(posts) == 1:
                raise
            return _store_one_by_one(room_name, posts, present)
    for (index, message), users in zip(fresh.items(), mentioned_users, strict=True):
        outcomes[index] = Stored(message, created=True, mentioned=users)
        known[(message.sender_key, message.nonce)] = message
    for index, key in repeats.items():
        outcomes[index] = Stored(known[key], created=False)
    return outcomes


def _store_one_by_one(
    room_name: str, posts: list[Post], present: list[dict]
) -> list[Stored | Exception]:
    """After a batch failed: store its posts one at a time, so one bad post (or the
    one whose nonce raced in from elsewhere) fails alone. Once a sender's post
    fails, their later posts in the batch fail too, so a re-send keeps their order."""
    outcomes: list[Stored | Exception] = []
    failed: dict[str, Exception] = {}
    for post in posts:
        if post.identity.key in failed:
            outcomes.append(failed[post.identity.key])
            continue
        try:
            outcome = messages_store(room_name=room_name, posts=[post], present=present)[0]
        except UNSTORABLE as exc:
            outcome = exc  # logged by messages_post, once per incident
        if isinstance(outcome, Exception) and not isinstance(outcome, ActionRefused):
            failed[post.identity.key] = outcome
        outcomes.append(outcome)
    return outcomes


def _replied(room_id: int, posts: list[Post]) -> dict[int, Message]:
    """The messages these posts reply to, by seq (one query, only for replies)."""
    seqs = {post.reply_to for post in posts if post.reply_to is not None}
    if not seqs:
        return {}
    return {m.seq: m for m in Message.objects.filter(room_id=room_id, seq__in=seqs)}


def _uploads(room_id: int, posts: list[Post]) -> dict[int, str]:
    """The uploads these posts name that are still unsent, with who uploaded each."""
    ids = {i for post in posts for i in post.attachments}
    if not ids:
        return {}
    waiting = Attachment.objects.filter(pk__in=ids, room_id=room_id, message__isnull=True)
    return dict(waiting.values_list("pk", "sender_key"))


def _attach(messages: list[Message]) -> None:
    """Give each new message the uploads it names (inside the transaction storing them);
    an upload another message took meanwhile fails the batch."""
    for message in messages:
        ids = getattr(message, "attachment_ids", ())
        if not ids:
            continue
        taken = Attachment.objects.filter(pk__in=ids, message__isnull=True).update(message=message)
        if taken != len(ids):
            raise IntegrityError("an attachment was sent with another message meanwhile")
        message.attachment_rows = list(Attachment.objects.filter(pk__in=ids).order_by("pk"))


def _message_new(room_id: int, post: Post, reply_to: Message | None) -> Message:
    identity = post.identity
    return Message(
        room_id=room_id,
        reply_to=reply_to,
        author_id=identity.user_id,
        author_name=identity.name,
        author_is_guest=identity.is_guest,
        author_is_bot=identity.is_bot,
        sender_key=identity.key,
        body=post.text,
        nonce=post.nonce,
    )


def _insert(
    room_id: int, room_name: str, messages: list[Message], mentioned: list[tuple[int, ...]]
) -> None:
    for message in messages:  # before the room's row is locked; text no database takes
        message.html = message_html(message.body)  # fails here as it would there
    with transaction.atomic():
        now = timezone.now()
        room = Room.objects.filter(pk=room_id, name=room_name)
        if not room.update(last_seq=F("last_seq") + len(messages), last_message_at=now):
            raise _RoomGone
        last_seq = room.values_list("last_seq", flat=True).get()
        for seq, message in enumerate(messages, start=last_seq - len(messages) + 1):
            message.seq = seq
            message.created = now
        Message.objects.bulk_create(messages)
        _attach(messages)
        if any(mentioned):
            Mention.objects.bulk_create(
                Mention(message=message, user_id=user_id, room_id=room_id, seq=message.seq)
                for message, users in zip(messages, mentioned, strict=True)
                for user_id in users
            )


def _messages_by_nonce(room_id: int, posts: list[Post]) -> dict[tuple, Message]:
    """Stored messages of this room that used one of the posts' nonces, by (sender, nonce)."""
    nonces = {post.nonce for post in posts if post.nonce is not None}
    if not nonces:
        return {}
    senders = {post.identity.key for post in posts if post.nonce is not None}
    stored = Message.objects.filter(room_id=room_id, nonce__in=nonces, sender_key__in=senders)
    return {(message.sender_key, message.nonce): message for message in stored}


def mentions_set(
    room_id: int, messages: list[Message], present: list[dict]
) -> list[tuple[int, ...]]:
    """Record who each new message @mentions; returns, for each, the signed-up people
    it mentions other than its author (for their counts). Nothing to do without "@"."""
    if not any("@" in message.body for message in messages):
        return [()] * len(messages)
    mentioned = mentions_resolve(
        room_id=room_id, texts=[message.body for message in messages], present=list(present)
    )
    users = []
    for message, people in zip(messages, mentioned, strict=True):
        message.mentions = [person.person_id for person in people]
        others = (p.user_id for p in people if p.user_id not in (None, message.author_id))
        users.append(tuple(dict.fromkeys(others)))
    return users


def _outsiders(room: Room, posts: list[Post]) -> set[str]:
    """Senders who aren't members of a private room or DM (their access was checked when
    they connected, a webhook's when it was made; this catches a post on its way as
    they were removed, or as the free name they were in became a private room).
    Public rooms cost nothing here."""
    if not room.private:
        return set()
    members = set(
        Membership.objects.filter(
            room=room, user_id__in={post.identity.user_id for post in posts}
        ).values_list("user_id", flat=True)
    )
    return {
        post.identity.key
        for post in posts
        if post.identity.user_id not in members and not post.identity.is_webhook
    }


def _mutes(room_id: int, sender_keys: set[str]) -> dict[str, Mute]:
    """The longest current mute of each of these senders in the room."""
    current = Mute.objects.filter(
        room_id=room_id, sender_key__in=sender_keys, until__gt=timezone.now()
    ).order_by("until")
    return {mute.sender_key: mute for mute in current}


def _muted(mute: Mute) -> ActionRefused:
    seconds = (mute.until - timezone.now()).total_seconds()
    return ActionRefused(
        "muted",
        f"A moderator muted you in this room until {mute.until:%H:%M} UTC.",
        retry_after=round(seconds, 1),
    )


def message_store(*, room_name: str, identity: Identity, text: str, nonce: str | None):
    """Store one message; return it and whether it is new. Raises ActionRefused when
    the sender is muted in the room."""
    outcome = messages_store(room_name=room_name, posts=[Post(identity, text, nonce)])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome.message, outcome.created


def rooms_store(batches: list[tuple[str, list[Post], list[dict]]]) -> list[list | Exception]:
    """Store several rooms' batches (room name, posts, present) in one transaction: one
    commit for all. Rooms are taken in order of name, so processes storing to the same
    rooms lock their rows in the same order. A room whose batch fails (each is a
    savepoint) fails alone; a failed commit fails them all."""
    if len(batches) == 1:  # one room: its own transaction is the one
        room_name, posts, present = batches[0]
        try:
            return [messages_store(room_name=room_name, posts=posts, present=present)]
        except UNSTORABLE as exc:
            return [exc]
    outcomes: dict[int, list | Exception] = {}
    with transaction.atomic():
        for index in sorted(range(len(batches)), key=lambda i: batches[i][0]):
            room_name, posts, present = batches[index]
            try:
                with transaction.atomic():
                    outcomes[index] = messages_store(
                        room_name=room_name, posts=posts, present=present
                    )
            except UNSTORABLE as exc:
                outcomes[index] = exc
    return [outcomes[index] for index in range(len(batches))]


@per_event_loop
def _storing() -> Batcher:
    """This process's batches of different rooms waiting for the database, stored in one
    transaction each time (the database thread takes one call at a time anyway)."""
    return Batcher(database_sync_to_async(rooms_store))


async def messages_post(*, room_name: str, posts: list[Post]) -> list[PostResult | Exception]:
    """Store posts to one room (with other rooms' batches of the moment, in one
    transaction), then broadcast the new ones to the room in one go."""
    present = await present_if_mentioning(room_name, [post.text for post in posts])
    try:
        outcomes = await _storing().submit((room_name, posts, present))
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
    broadcast = bool(new) and await _broadcast_messages(room_name, [[s, frames[s]] for s in new])
    if new and room_name in _rooms:
        created = [(o.message, o.mentioned) for o in stored if o.created]
        await activity_announce(room=_rooms[room_name], new=created)
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
    try:
        return (await presence().snapshot(room_name)).users
    except LAYER_ERRORS:
        return []  # signed-up people are still found by username


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


@per_event_loop
def _posting_queues() -> dict[str, Batcher]:
    """The posting queue of each room that has one, in this process."""
    return {}


def _posting(room_name: str) -> Batcher:
    rooms = _posting_queues()
    if room_name not in rooms:
        rooms[room_name] = Batcher(
            lambda posts: messages_post(room_name=room_name, posts=posts),
            on_idle=lambda: rooms.pop(room_name, None),
        )
    return rooms[room_name]


def message_post(
    *, room_name: str, identity: Identity, text: str, nonce: str | None = None,
    reply_to: int | None = None, attachments: tuple[int, ...] = (),
) -> asyncio.Future:  # fmt: skip
    """Store a message, then broadcast it to every connection of the room.

    The message takes its place in the room's order when this is called, so a
    connection can post several without waiting for each. Messages posted to
    one room at the same time in this process are stored and broadcast
    together (see chat.batching). The future gives the PostResult, or raises
    ActionRefused when the sender is muted in the room, or the database's
    error. Cancelling it before its batch is taken withdraws the message.
    """
    return _posting(room_name).submit(Post(identity, text, nonce, reply_to, attachments))
