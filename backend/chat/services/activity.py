"""What new messages tell people outside the room: a sidebar notice to everyone who keeps
the room in theirs, and a Web Push to each person the message is due to notify.

Once per stored batch, after the room's broadcast, to the room's activity group,
which the connections of its members follow (chat.realtime.session).

Whom a message notifies (``notified``): at each person's level for the room
(Membership.level): ``all``, every message; ``mentions`` (a room's default),
what @mentions them (by name, @all, @here, a group) and a DM's every message
(a DM's default is ``all``); ``nothing``, nothing. Never its author, nor anyone in
Do Not Disturb. The page applies the same levels to its browser notifications,
and missed-notification e-mail (notifications.missed) the same rule.
"""

import logging

from channels.db import database_sync_to_async
from django.urls import reverse
from django.utils import timezone

from chat.models import Membership, Message, Room
from chat.process import detach
from chat.protocol import events
from chat.services.broadcast import LAYER_ERRORS, activity_address, send_to
from notifications.webpush import push_enabled, push_send
from people.models import Profile

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
    if not push_enabled():
        return  # nothing more to tell: no query
    due = await database_sync_to_async(notified)(room=room, new=new)
    for message, recipients in due:
        if recipients:
            _push(room, message, recipients, dm=dm)


def dm_people(room: Room) -> set[int]:
    return {int(part) for part in room.dm_pair.split(":")}


def notified(
    *, room: Room, new: list[tuple[Message, tuple[int, ...]]], now=None
) -> list[tuple[Message, set[int]]]:
    """For each new message, the people it notifies (see the module's rule): one query
    for the room's levels, one for Do Not Disturb."""
    dm = room.kind == Room.Kind.DM
    levels = dict(
        Membership.objects.filter(room=room).exclude(level="").values_list("user_id", "level")
    )
    every = {user for user, level in levels.items() if level == Membership.Level.ALL}
    if dm:
        every |= {user for user in dm_people(room) if user not in levels}
    due = []
    for message, mentioned in new:
        people = (every | set(mentioned)) - {message.author_id}
        due.append((message, {p for p in people if levels.get(p) != Membership.Level.NOTHING}))
    everyone = set().union(*(people for _, people in due))
    if everyone:
        quiet = set(
            Profile.objects.filter(
                user_id__in=everyone, dnd_until__gt=now or timezone.now()
            ).values_list("user_id", flat=True)
        )
        due = [(message, people - quiet) for message, people in due]
    return due


def _push(room: Room, message: Message, user_ids: set[int], *, dm: bool) -> None:
    payload = {
        "title": message.author_name if dm else f"{message.author_name} in {room.name}",
        "body": _snippet(message.body),
        "url": f"{reverse('chat:room', args=[room.name])}#seq-{message.seq}",
        "tag": f"{room.name}:{message.seq}",
    }
    detach(push_send(user_ids=sorted(user_ids), payload=payload))
