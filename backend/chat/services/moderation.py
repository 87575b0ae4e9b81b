"""Moderation: deleting messages (their authors, or staff) and muting people (staff)."""

from datetime import timedelta

from channels.db import database_sync_to_async
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.identity import Identity
from chat.models import Message, MessageEdit, Mute
from chat.protocol import events
from chat.services import ActionRefused
from chat.services.attachments import attachments_delete
from chat.services.broadcast import event_broadcast, event_message, on_commit_send, room_address
from chat.services.threads import summary_refresh
from integrations.outgoing import outgoing_event_queue

MUTE_MINUTES_MAX = 7 * 24 * 60


def _message_for_moderation(room_name: str, seq: int) -> Message:
    message = Message.objects.filter(room__name=room_name, seq=seq).first()
    if message is None:
        raise ActionRefused(
            "unknown_message", format_lazy(_("There is no message {seq} in this room."), seq=seq)
        )
    return message


def message_delete_store(*, room_name: str, seq: int, identity: Identity) -> bool:
    """Mark a message deleted; its author or staff only. False if it already was."""
    message = _message_for_moderation(room_name, seq)
    if message.sender_key != identity.key and not identity.is_staff:
        raise ActionRefused("forbidden", _("Only its author or a moderator can delete a message."))
    if message.deleted_at is not None:
        return False
    _mark_deleted(message, by_user_id=identity.user_id)
    return True


def _mark_deleted(message: Message, *, by_user_id: int | None) -> None:
    """Its text goes, and the earlier versions of it too."""
    with transaction.atomic():
        message.deleted_at = timezone.now()
        Message.objects.filter(pk=message.pk).update(
            deleted_at=message.deleted_at, deleted_by_id=by_user_id, body="", html=""
        )
        MessageEdit.objects.filter(message=message).delete()
        outgoing_event_queue(message, "delete")
    attachments_delete(message)


async def message_delete(*, room_name: str, seq: int, identity: Identity) -> bool:
    """Delete a message, then tell every open tab of the room to remove it. Deleting one
    that already was changes nothing and tells no one; returns whether it was deleted now."""
    deleted = await database_sync_to_async(message_delete_store)(
        room_name=room_name, seq=seq, identity=identity
    )
    if deleted:
        await event_broadcast(room_name, events.delete_event(seq))
        root, summary = await database_sync_to_async(_thread_after_delete)(room_name, seq)
        if root is not None:
            await event_broadcast(room_name, events.thread_summary_event(root, summary))
    return deleted


def _thread_after_delete(room_name: str, seq: int) -> tuple[int | None, dict | None]:
    """When message ``seq`` was a thread's reply: its root's seq and new summary."""
    found = Message.objects.filter(room__name=room_name, seq=seq).values("room_id", "thread")
    found = found.first()
    if not found or found["thread"] is None:
        return None, None
    return found["thread"], summary_refresh(found["room_id"], found["thread"])


def messages_delete_by_staff(messages, *, by) -> int:
    """Delete messages from the admin, announcing each deletion in its room once committed;
    returns how many were deleted now (those deleted before are left as they are)."""
    deleted = 0
    for message in messages.select_related("room").filter(deleted_at__isnull=True):
        _mark_deleted(message, by_user_id=by.pk)
        event = events.delete_event(message.seq)
        on_commit_send(room_address(message.room.name), event_message(event))
        deleted += 1
    return deleted


def mute_store(*, room_name: str, seq: int, minutes: int, identity: Identity) -> Mute:
    """Mute the author of message ``seq`` in the room for ``minutes``; staff only."""
    if not identity.is_staff:
        raise ActionRefused("forbidden", _("Only moderators can mute people."))
    if not 1 <= minutes <= MUTE_MINUTES_MAX:
        raise ActionRefused(
            "invalid_minutes",
            format_lazy(_('"minutes" must be between 1 and {max}.'), max=MUTE_MINUTES_MAX),
        )
    message = _message_for_moderation(room_name, seq)
    if message.sender_key == identity.key:
        raise ActionRefused("forbidden", _("You can't mute yourself."))
    return Mute.objects.create(
        room=message.room,
        sender_key=message.sender_key,
        name=message.author_name,
        until=timezone.now() + timedelta(minutes=minutes),
        created_by_id=identity.user_id,
    )


async def person_mute(
    *, room_name: str, seq: int, minutes: int, identity: Identity
) -> events.MuteEvent:
    """Mute the author of message ``seq``; returns the moderator's confirmation."""
    mute = await database_sync_to_async(mute_store)(
        room_name=room_name, seq=seq, minutes=minutes, identity=identity
    )
    return events.mute_event(mute.name, mute.until)
