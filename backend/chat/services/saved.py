"""Saved messages: a person's own list of messages to come back to.

A saved message is shown only while its person may still read its room (checked when
the list is read, so leaving a room or losing access hides what was saved there) and
while it isn't deleted.
"""

from django.db import IntegrityError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat import selectors
from chat.models import Message, Room, Saved
from chat.services import ActionRefused

SAVED_SHOWN = 200


def saved_add(*, user, room: Room, seq: int) -> tuple[Saved, bool]:
    """Save message ``seq`` of ``room`` (which the caller checked ``user`` may read);
    returns it and whether it is new. Raises ActionRefused ``unknown_message`` (none,
    deleted, or a line the server wrote)."""
    message = Message.objects.filter(room=room, seq=seq).first()
    if message is None or message.deleted_at is not None or message.system:
        raise ActionRefused(
            "unknown_message", format_lazy(_("There is no message {seq} here to save."), seq=seq)
        )
    try:
        with transaction.atomic():
            return Saved.objects.get_or_create(user=user, message=message)
    except IntegrityError:  # saved from another tab at the same moment
        return Saved.objects.get(user=user, message=message), False


def saved_remove(*, user, room: Room, seq: int) -> None:
    if not Saved.objects.filter(user=user, message__room=room, message__seq=seq).delete()[0]:
        raise ActionRefused(
            "unknown_saved", format_lazy(_("Message {seq} of this room isn't saved."), seq=seq)
        )


def saved_list(*, user) -> list[Saved]:
    """The person's saved messages, newest saved first (at most ``SAVED_SHOWN``), each
    with its message and room, from rooms they may read now and not deleted."""
    saved = list(
        Saved.objects.filter(
            user=user,
            message__deleted_at__isnull=True,
            message__room__in=selectors.readable_rooms(user.pk),
        ).order_by("-created", "-pk")[:SAVED_SHOWN]
    )
    messages = selectors.messages_shown(
        Message.objects.filter(pk__in=[s.message_id for s in saved]).select_related("room")
    )
    by_id = {message.pk: message for message in messages}
    for entry in saved:
        entry.message = by_id[entry.message_id]
    return saved
