"""Pins: messages kept at hand for everyone in a room, at most ``PINS_MAX`` per room.

Pinning writes a small line in the room ("<name> pinned a message", a ``system``
message replying to the pinned one), posted like any message so every page, history
and replay has it; the pages open in the room get the room's pins as they now are
(a ``pins`` event) once the change is committed.
"""

from asgiref.sync import async_to_sync
from django.db import IntegrityError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat import selectors
from chat.identity import Identity
from chat.models import Message, Pin, Room
from chat.protocol import events
from chat.services import ActionRefused
from chat.services.broadcast import event_message, on_commit_send, room_address
from chat.services.messages import messages_post
from chat.services.rooms import archived_check
from chat.services.storing import Post

PINS_MAX = 50
PINNED_LINE = "pinned a message"


def room_pins(room: Room) -> list[Pin]:
    """The room's pins, newest first, with their messages (deleted ones left out)."""
    pins = list(
        Pin.objects.filter(room=room, message__deleted_at__isnull=True).order_by("-created", "-pk")
    )
    messages = selectors.messages_shown(Message.objects.filter(pk__in=[p.message_id for p in pins]))
    by_id = {message.pk: message for message in messages}
    for pin in pins:
        pin.message = by_id[pin.message_id]
    return pins


def _shown(message: Message | None, seq: int) -> Message:
    if message is None or message.deleted_at is not None or message.system:
        raise ActionRefused(
            "unknown_message", format_lazy(_("There is no message {seq} here to pin."), seq=seq)
        )
    return message


def pin_add(*, room: Room, seq: int, identity: Identity) -> tuple[Pin, bool]:
    """Pin message ``seq`` (a signed-in reader of the room); returns the pin and whether
    it is new (pinning a pinned message changes nothing). Raises ActionRefused:
    ``room_archived``, ``unknown_message`` (none, deleted, or a line the server wrote),
    ``too_many_pins``."""
    archived_check(room)
    message = _shown(Message.objects.filter(room=room, seq=seq).first(), seq)
    with transaction.atomic():
        # The room's row, locked: two pins at once can't both be the fiftieth.
        Room.objects.select_for_update().filter(pk=room.pk).values("pk").first()
        existing = Pin.objects.filter(room=room, message=message).first()
        if existing is not None:
            return existing, False
        if Pin.objects.filter(room=room, message__deleted_at__isnull=True).count() >= PINS_MAX:
            raise ActionRefused(
                "too_many_pins",
                format_lazy(_("A room has at most {max} pins; unpin one first."), max=PINS_MAX),
            )
        try:
            with transaction.atomic():
                pin = Pin.objects.create(
                    room=room, message=message, pinned_by_id=identity.user_id,
                    pinned_by_name=identity.name,
                )  # fmt: skip
        except IntegrityError:  # the same pin, from another tab at the same moment
            return Pin.objects.get(room=room, message=message), False
        _pins_changed(room)
    _pinned_line(room, seq, identity)
    return pin, True


def pin_remove(*, room: Room, seq: int) -> None:
    """Unpin message ``seq``. Raises ActionRefused ``room_archived``, ``unknown_pin``."""
    archived_check(room)
    with transaction.atomic():
        if not Pin.objects.filter(room=room, message__seq=seq).delete()[0]:
            raise ActionRefused(
                "unknown_pin", format_lazy(_("Message {seq} isn't pinned here."), seq=seq)
            )
        _pins_changed(room)


def _pins_changed(room: Room) -> None:
    """The room's pins as they are in this transaction, to its pages once committed."""
    on_commit_send(room_address(room.name), event_message(events.pins_event(room_pins(room))))


def _pinned_line(room: Room, seq: int, identity: Identity) -> None:
    """The line that tells the room who pinned what (posted once the pin is committed)."""
    post = Post(identity, PINNED_LINE, reply_to=seq, system="pinned", may_create=False)
    async_to_sync(messages_post)(room_name=room.name, posts=[post])
