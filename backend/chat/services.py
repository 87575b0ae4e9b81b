"""What the chat does, independent of how a client is connected.

A message is committed to the database first, then broadcast; consumers and
views call these functions and never broadcast on their own.
"""

import logging
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.db.models import F
from redis.exceptions import RedisError

from chat import events
from chat.identity import GUEST_NAME_SESSION_KEY, Identity, display_name_clean
from chat.models import Message, Room
from chat.rooms import person_group_name, room_group_name

logger = logging.getLogger(__name__)

# What the channel layer raises when Redis can't be reached.
LAYER_ERRORS = (RedisError, OSError)


@dataclass(frozen=True)
class PostResult:
    message: Message
    frame: str  # the encoded ``message`` frame
    created: bool  # False: the nonce was seen before and nothing new was stored
    broadcast: bool  # False: stored, but Redis could not fan it out right now


def _message_existing(room: Room, identity: Identity, nonce: str | None) -> Message | None:
    if nonce is None:
        return None
    return Message.objects.filter(room=room, sender_key=identity.key, nonce=nonce).first()


def message_store(*, room_name: str, identity: Identity, text: str, nonce: str | None):
    """Store a message under the room's next ``seq``; return it and whether it is new.

    The room row is locked while the seq is taken (an UPDATE on PostgreSQL, the
    write lock of BEGIN IMMEDIATE on SQLite), so concurrent writers in any
    number of processes get consecutive, unique seqs. A nonce the same sender
    already used in the room returns the stored message instead.
    """
    room, _ = Room.objects.get_or_create(name=room_name)
    if existing := _message_existing(room, identity, nonce):
        return existing, False
    try:
        with transaction.atomic():
            Room.objects.filter(pk=room.pk).update(last_seq=F("last_seq") + 1)
            seq = Room.objects.values_list("last_seq", flat=True).get(pk=room.pk)
            message = Message.objects.create(
                room=room,
                seq=seq,
                author_id=identity.user_id,
                author_name=identity.name,
                author_is_guest=identity.is_guest,
                sender_key=identity.key,
                body=text,
                nonce=nonce,
            )
    except IntegrityError:
        # The same nonce raced in from another tab or process; that one won.
        if existing := _message_existing(room, identity, nonce):
            return existing, False
        raise
    return message, True


async def message_post(
    *, room_name: str, identity: Identity, text: str, nonce: str | None = None
) -> PostResult:
    """Store a message, then broadcast it to every connection of the room."""
    message, created = await database_sync_to_async(message_store)(
        room_name=room_name, identity=identity, text=text, nonce=nonce
    )
    frame = events.event_encode(events.message_event(message))
    broadcast = False
    if created:
        try:
            await get_channel_layer().group_send(
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
        async_to_sync(get_channel_layer().group_send)(
            person_group_name(identity.key), {"type": events.IDENTITY_CHANGED_TYPE, "name": name}
        )
    except LAYER_ERRORS:
        logger.warning("could not tell open tabs about a new guest name")
    return name
