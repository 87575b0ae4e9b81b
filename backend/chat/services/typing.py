"""Typing: "… is typing" for the others in a room. Nothing about it is stored."""

import contextlib

from chat.identity import Identity
from chat.protocol import events
from chat.rooms import public_person_id
from chat.services.broadcast import LAYER_ERRORS, room_address, send_to
from chat.services.presence import person_public


async def typing_announce(room_name: str, identity: Identity) -> None:
    """Tell the room's other people that ``identity`` is typing (never their own tabs)."""
    text = events.event_encode(events.typing_event(person_public(identity)))
    with contextlib.suppress(*LAYER_ERRORS):  # typing is ephemeral
        await send_to(
            room_address(room_name),
            {"type": events.TYPING_TYPE, "text": text, "from": public_person_id(identity.key)},
        )
