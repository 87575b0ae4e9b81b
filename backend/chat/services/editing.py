"""Editing messages: their authors within the edit window, staff any time.

An edited message keeps its seq; its new text is rendered again and goes out to
the room as an ``edit`` event. The text it replaced is kept as a ``MessageEdit``
(staff see the versions in the admin). History and replays read the message as
it is now, so they carry the latest text.
"""

from datetime import timedelta

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.formatting import message_html
from chat.identity import Identity
from chat.models import Mention, Message, MessageEdit
from chat.protocol import events
from chat.services import ActionRefused
from chat.services.broadcast import event_broadcast, event_message, on_commit_send, room_address
from chat.services.messages import present_if_mentioning
from chat.services.rooms import archived_check
from chat.services.storing import mentions_set
from integrations.outgoing import outgoing_event_queue


def edit_window() -> timedelta:
    return timedelta(minutes=settings.CHAT_EDIT_WINDOW_MINUTES)


def message_edit_store(
    *, room_name: str, seq: int, identity: Identity, text: str, present: list[dict] = ()
) -> Message | None:
    """Give message ``seq`` the text ``text`` (already checked as a message is); returns
    the edited message, or None when the text is what it was. Raises ActionRefused:
    ``unknown_message`` (no such message, or deleted), ``room_archived``, ``forbidden``
    (someone else's, or past the edit window, for non-staff). ``present``: who is in the
    room, for @mentions."""
    message = Message.objects.select_related("room").filter(room__name=room_name, seq=seq).first()
    if message is None or message.deleted_at is not None:
        raise ActionRefused(
            "unknown_message", format_lazy(_("There is no message {seq} in this room."), seq=seq)
        )
    archived_check(message.room)
    if not identity.is_staff:
        if message.sender_key != identity.key:
            raise ActionRefused("forbidden", _("You can only edit your own messages."))
        if timezone.now() - message.created > edit_window():
            minutes = settings.CHAT_EDIT_WINDOW_MINUTES
            raise ActionRefused(
                "forbidden",
                format_lazy(
                    _("A message can be edited for {minutes} minutes after it is sent."),
                    minutes=minutes,
                ),
            )
    if text == message.body:
        return None
    _edit(message, text, by_user_id=identity.user_id, by_name=identity.name, present=present)
    return message


def _edit(
    message: Message, text: str, *, by_user_id: int | None, by_name: str, present: list[dict]
) -> None:
    """Store the new text, keep the old one, and count the mentions the text makes now."""
    with transaction.atomic():
        MessageEdit.objects.create(
            message=message, body=message.body, edited_by_id=by_user_id, editor_name=by_name
        )
        message.body = text
        message.html = message_html(text)
        message.edited_at = timezone.now()
        message.mentions = []
        [mentioned] = mentions_set(message.room_id, [message], list(present))
        message.save(update_fields=["body", "html", "edited_at", "mentions"])
        Mention.objects.filter(message=message).delete()
        Mention.objects.bulk_create(
            Mention(message=message, user_id=user_id, room_id=message.room_id, seq=message.seq)
            for user_id in mentioned
        )
        outgoing_event_queue(message, "edit")


async def message_edit(*, room_name: str, seq: int, identity: Identity, text: str) -> None:
    """Edit a message, then send the room its new text."""
    present = await present_if_mentioning(room_name, [text])
    message = await database_sync_to_async(message_edit_store)(
        room_name=room_name, seq=seq, identity=identity, text=text, present=present
    )
    if message is not None:
        await event_broadcast(room_name, events.edit_event(message))


def message_edit_by_staff(message: Message, *, text: str, by) -> None:
    """A body changed in the admin: kept as an edit, rendered again and sent to the room
    once committed (the admin's save commits it)."""
    stored = Message.objects.select_related("room").get(pk=message.pk)
    if stored.deleted_at is not None or stored.body == text:
        return
    _edit(stored, text, by_user_id=by.pk, by_name=by.get_username(), present=[])
    on_commit_send(room_address(stored.room.name), event_message(events.edit_event(stored)))
