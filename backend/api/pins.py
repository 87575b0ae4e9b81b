"""A room's pins (``/api/rooms/<name>/pins/``) and one's saved messages
(``/api/me/saved/``), docs/api.md."""

from datetime import datetime

from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from api.auth import signed_in
from api.errors import ApiError
from api.rooms import REFUSALS, existing_room, router
from chat.identity import identity_of
from chat.models import Saved
from chat.protocol import events
from chat.services import pins as pins_service
from chat.services import saved as saved_service

saved_router = Router(tags=["saved messages"])


class PinIn(Schema):
    seq: int


class PinsOut(Schema):
    pins: list[dict]  # {"seq", "pinned_by", "pinned_at", "message"}


class SavedIn(Schema):
    room: str
    seq: int


class SavedOut(Schema):
    room: str
    seq: int
    saved_at: datetime
    message: dict


class SavedListOut(Schema):
    saved: list[SavedOut]


def _seq_check(seq: int) -> None:
    if not 0 < seq < 2**63:
        raise ApiError(400, "invalid_seq", _("“seq” must be a whole number, 1 or more."))


@router.get("/{name}/pins/", response={200: PinsOut, **REFUSALS}, auth=signed_in)
def pins_list(request, name: str):
    """The room's pinned messages, newest pin first."""
    room = existing_room(request, name)
    return events.pins_event(pins_service.room_pins(room))


@router.post("/{name}/pins/", response={200: dict, 201: dict, **REFUSALS}, auth=signed_in)
def pin_add(request, name: str, body: PinIn):
    """Pin a message for everyone in the room: 201, or 200 when it was pinned already."""
    _seq_check(body.seq)
    room = existing_room(request, name)
    identity = identity_of(request.user, request.session)
    _, created = pins_service.pin_add(room=room, seq=body.seq, identity=identity)
    pin = next(pin for pin in pins_service.room_pins(room) if pin.message.seq == body.seq)
    return Status(201 if created else 200, events.pin_json(pin))


@router.delete("/{name}/pins/{seq}/", response={204: None, **REFUSALS}, auth=signed_in)
def pin_remove(request, name: str, seq: int):
    _seq_check(seq)
    pins_service.pin_remove(room=existing_room(request, name), seq=seq)
    return Status(204, None)


def _saved_out(saved: Saved) -> dict:
    message = saved.message
    return {
        "room": message.room.name, "seq": message.seq, "saved_at": saved.created,
        "message": events.message_event(message),
    }  # fmt: skip


@saved_router.get("/", response={200: SavedListOut, **REFUSALS}, auth=signed_in)
def saved_list(request):
    """One's saved messages, newest first, from rooms one may still read."""
    return {"saved": [_saved_out(s) for s in saved_service.saved_list(user=request.user)]}


@saved_router.post("/", response={200: SavedOut, 201: SavedOut, **REFUSALS}, auth=signed_in)
def saved_add(request, body: SavedIn):
    """Save a message for oneself: 201, or 200 when it was saved already."""
    _seq_check(body.seq)
    room = existing_room(request, body.room)
    saved, created = saved_service.saved_add(user=request.user, room=room, seq=body.seq)
    saved.message.room = room
    return Status(201 if created else 200, _saved_out(saved))


@saved_router.delete("/{room}/{seq}/", response={204: None, **REFUSALS}, auth=signed_in)
def saved_remove(request, room: str, seq: int):
    _seq_check(seq)
    saved_service.saved_remove(user=request.user, room=existing_room(request, room), seq=seq)
    return Status(204, None)
