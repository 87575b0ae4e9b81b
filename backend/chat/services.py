"""What the chat does, independent of how a client is connected.

A message is committed to the database first, then broadcast; consumers and
views call these functions and never broadcast on their own.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from observability import metrics
from redis.exceptions import RedisError

from chat import events
from chat.hub import group_send
from chat.identity import GUEST_NAME_SESSION_KEY, Identity, display_name_clean
from chat.models import Message, Mute, Room
from chat.rooms import person_group_name, room_group_name

logger = logging.getLogger(__name__)

# What the channel layer raises when Redis can't be reached.
LAYER_ERRORS = (RedisError, OSError)


class ActionRefused(Exception):
    """A request the rules don't allow; ``code`` and ``detail`` go into an error frame."""

    def __init__(self, code: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


@dataclass(frozen=True)
class PostResult:
    message: Message
    frame: str  # the encoded ``message`` frame
    created: bool  # False: the nonce was seen before and nothing new was stored
    broadcast: bool  # False: stored, but Redis could not fan it out right now


def _message_existing(room_id: int, identity: Identity, nonce: str | None) -> Message | None:
    if nonce is None:
        return None
    return Message.objects.filter(room_id=room_id, sender_key=identity.key, nonce=nonce).first()


class _RoomGone(Exception):
    pass


# Room ids by name, so posting doesn't look the room up every time.
_room_ids: dict[str, int] = {}


def _room_id(room_name: str) -> int:
    if room_name not in _room_ids:
        _room_ids[room_name] = Room.objects.get_or_create(name=room_name)[0].pk
    return _room_ids[room_name]


def message_store(*, room_name: str, identity: Identity, text: str, nonce: str | None):
    """Store a message under the room's next ``seq``; return it and whether it is new.

    The room row is locked while the seq is taken (an UPDATE on PostgreSQL, the
    write lock of BEGIN IMMEDIATE on SQLite), so concurrent writers in any
    number of processes get consecutive, unique seqs. A nonce the same sender
    already used in the room returns the stored message instead.
    """
    room_id = _room_id(room_name)
    if existing := _message_existing(room_id, identity, nonce):
        return existing, False
    _refuse_if_muted(room_id, identity)
    try:
        with transaction.atomic():
            now = timezone.now()
            room = Room.objects.filter(pk=room_id, name=room_name)
            if not room.update(last_seq=F("last_seq") + 1, last_message_at=now):
                raise _RoomGone
            seq = room.values_list("last_seq", flat=True).get()
            message = Message.objects.create(
                room_id=room_id,
                seq=seq,
                author_id=identity.user_id,
                author_name=identity.name,
                author_is_guest=identity.is_guest,
                sender_key=identity.key,
                body=text,
                nonce=nonce,
                created=now,
            )
    except _RoomGone:
        # The room was deleted (in the admin) since its id was cached.
        del _room_ids[room_name]
        return message_store(room_name=room_name, identity=identity, text=text, nonce=nonce)
    except IntegrityError:
        # The same nonce raced in from another tab or process; that one won.
        if existing := _message_existing(room_id, identity, nonce):
            return existing, False
        raise
    return message, True


def _refuse_if_muted(room_id: int, identity: Identity) -> None:
    mute = (
        Mute.objects.filter(room_id=room_id, sender_key=identity.key, until__gt=timezone.now())
        .order_by("-until")
        .first()
    )
    if mute is not None:
        seconds = (mute.until - timezone.now()).total_seconds()
        raise ActionRefused(
            "muted",
            f"A moderator muted you in this room until {mute.until:%H:%M} UTC.",
            retry_after=round(seconds, 1),
        )


async def message_post(
    *, room_name: str, identity: Identity, text: str, nonce: str | None = None
) -> PostResult:
    """Store a message, then broadcast it to every connection of the room.

    Raises ActionRefused when the sender is muted in the room.
    """
    message, created = await database_sync_to_async(message_store)(
        room_name=room_name, identity=identity, text=text, nonce=nonce
    )
    frame = events.event_encode(events.message_event(message))
    broadcast = False
    if created:
        metrics.MESSAGES_POSTED.inc()
        try:
            await group_send(
                room_group_name(room_name),
                {"type": events.GROUP_FRAME_TYPE, "text": frame, "seq": message.seq},
            )
            broadcast = True
        except LAYER_ERRORS:
            logger.warning(
                "room %r: stored seq %s but Redis is unreachable", room_name, message.seq
            )
    return PostResult(message=message, frame=frame, created=created, broadcast=broadcast)


def guest_rename(*, session, identity: Identity, name: str) -> str:
    """Give a guest a new display name, in every open tab; raises InvalidDisplayName."""
    name = display_name_clean(name)
    session[GUEST_NAME_SESSION_KEY] = name
    try:
        async_to_sync(group_send)(
            person_group_name(identity.key), {"type": events.IDENTITY_CHANGED_TYPE, "name": name}
        )
    except LAYER_ERRORS:
        logger.warning("could not tell open tabs about a new guest name")
    return name


async def _broadcast_event(room_name: str, event) -> None:
    try:
        await group_send(
            room_group_name(room_name),
            {"type": events.GROUP_EVENT_TYPE, "text": events.event_encode(event)},
        )
    except LAYER_ERRORS:
        logger.warning("room %r: could not broadcast %s", room_name, event["type"])


def _message_for_moderation(room_name: str, seq: int) -> Message:
    message = Message.objects.filter(room__name=room_name, seq=seq).first()
    if message is None:
        raise ActionRefused("unknown_message", f"There is no message {seq} in this room.")
    return message


def message_delete_store(*, room_name: str, seq: int, identity: Identity) -> bool:
    """Mark a message deleted; its author or staff only. False if it already was."""
    message = _message_for_moderation(room_name, seq)
    if message.sender_key != identity.key and not identity.is_staff:
        raise ActionRefused("forbidden", "Only its author or a moderator can delete a message.")
    if message.deleted_at is not None:
        return False
    _mark_deleted(message, by_user_id=identity.user_id)
    return True


def _mark_deleted(message: Message, *, by_user_id: int | None) -> None:
    Message.objects.filter(pk=message.pk).update(
        deleted_at=timezone.now(), deleted_by_id=by_user_id, body=""
    )


async def message_delete(*, room_name: str, seq: int, identity: Identity) -> None:
    """Delete a message, then tell every open tab of the room to remove it."""
    await database_sync_to_async(message_delete_store)(
        room_name=room_name, seq=seq, identity=identity
    )
    await _broadcast_event(room_name, events.delete_event(seq))


def messages_delete_by_staff(messages, *, by) -> None:
    """Delete messages from the admin, announcing each deletion in its room."""
    for message in messages.select_related("room").filter(deleted_at__isnull=True):
        _mark_deleted(message, by_user_id=by.pk)
        async_to_sync(_broadcast_event)(message.room.name, events.delete_event(message.seq))


MUTE_MINUTES_MAX = 7 * 24 * 60


def mute_store(*, room_name: str, seq: int, minutes: int, identity: Identity) -> Mute:
    """Mute the author of message ``seq`` in the room for ``minutes``; staff only."""
    if not identity.is_staff:
        raise ActionRefused("forbidden", "Only moderators can mute people.")
    if not 1 <= minutes <= MUTE_MINUTES_MAX:
        raise ActionRefused(
            "invalid_minutes", f'"minutes" must be between 1 and {MUTE_MINUTES_MAX}.'
        )
    message = _message_for_moderation(room_name, seq)
    if message.sender_key == identity.key:
        raise ActionRefused("forbidden", "You can't mute yourself.")
    return Mute.objects.create(
        room=message.room,
        sender_key=message.sender_key,
        name=message.author_name,
        until=timezone.now() + timedelta(minutes=minutes),
        created_by_id=identity.user_id,
    )
