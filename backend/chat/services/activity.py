"""What new messages tell people outside the room: a sidebar notice to everyone who keeps
the room in theirs, and a Web Push to each person @mentioned or sent a direct message.

Once per stored batch, after the room's broadcast, to the room's activity group,
which the connections of its members follow (chat.realtime.session).
"""

import logging

from django.urls import reverse

from chat.models import Message, Room
from chat.process import detach
from chat.protocol import events
from chat.services.broadcast import LAYER_ERRORS, activity_address, send_to

logger = logging.getLogger(__name__)

SNIPPET_LENGTH = 140


def _snippet(text: str) -> str:
    return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1] + "…"


async def activity_announce(*, room: Room, new: list[tuple[Message, tuple[int, ...]]]) -> None:
    """Tell sidebars (and push) about ``new`` messages of ``room``, each with the user ids
    it @mentions; oldest first, at least one."""
    last = new[-1][0]
    dm = room.kind == Room.Kind.DM
    notice = {
        "type": events.ACTIVITY_TYPE, "room": room.name, "seq": last.seq,
        "from": last.author_name, "text": _snippet(last.body),
        "mentions": sorted({user for _, users in new for user in users}), "dm": dm,
    }  # fmt: skip
    try:
        await send_to(activity_address(room.name), notice)
    except LAYER_ERRORS:
        logger.warning("room %r: could not tell sidebars about seq %s", room.name, last.seq)
    if not dm and not notice["mentions"]:
        return  # nobody to push to
    for message, users in new:
        recipients = set(users)
        if dm:
            recipients.update(_dm_people(room))
        recipients.discard(message.author_id)
        if recipients:
            _push(room, message, recipients, dm=dm)


def _dm_people(room: Room) -> set[int]:
    return {int(part) for part in room.dm_pair.split(":")}


def _push(room: Room, message: Message, user_ids: set[int], *, dm: bool) -> None:
    from notifications.webpush import push_enabled, push_send

    if not push_enabled():
        return
    payload = {
        "title": message.author_name if dm else f"{message.author_name} in {room.name}",
        "body": _snippet(message.body),
        "url": f"{reverse('chat:room', args=[room.name])}#seq-{message.seq}",
        "tag": f"{room.name}:{message.seq}",
    }
    detach(push_send(user_ids=sorted(user_ids), payload=payload))
