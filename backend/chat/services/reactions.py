"""Reactions: a person toggles an emoji on a message; the room gets the message's
reactions as they now are. At most ``REACTIONS_MAX`` distinct emoji per message."""

from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.identity import Identity
from chat.models import Message, Reaction
from chat.protocol import events
from chat.rooms import public_person_id
from chat.services import ActionRefused
from chat.services.broadcast import event_broadcast
from chat.services.rooms import archived_check
from integrations.outgoing import outgoing_event_queue

REACTIONS_MAX = 20


def reaction_toggle_store(
    *, room_name: str, seq: int, identity: Identity, emoji: str
) -> list[Reaction]:
    """Add the person's ``emoji`` to message ``seq``, or take it back if they had given
    it; returns the message's reactions after. Raises ActionRefused: ``unknown_message``
    (none, or deleted), ``room_archived``, ``invalid_reaction`` (a new emoji past
    ``REACTIONS_MAX``)."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("room")
            .filter(room__name=room_name, seq=seq, deleted_at__isnull=True)
            .first()
        )
        if message is None:
            raise ActionRefused(
                "unknown_message",
                format_lazy(_("There is no message {seq} in this room."), seq=seq),
            )
        archived_check(message.room)
        given = Reaction.objects.filter(message=message, sender_key=identity.key, emoji=emoji)
        if not given.delete()[0]:
            emojis = set(Reaction.objects.filter(message=message).values_list("emoji", flat=True))
            if emoji not in emojis and len(emojis) >= REACTIONS_MAX:
                raise ActionRefused(
                    "invalid_reaction",
                    format_lazy(
                        _("A message can have at most {max} different reactions."),
                        max=REACTIONS_MAX,
                    ),
                )
            try:
                with transaction.atomic():
                    Reaction.objects.create(
                        message=message, sender_key=identity.key, name=identity.name, emoji=emoji
                    )
            except IntegrityError:
                pass  # the same reaction, from another tab at the same moment
            added = True
        else:
            added = False
        message.reaction_rows = list(Reaction.objects.filter(message=message))
        reaction = {"emoji": emoji, "uid": public_person_id(identity.key), "user": identity.name,
                    "added": added}  # fmt: skip
        outgoing_event_queue(message, "reaction", {"reaction": reaction})
        return message.reaction_rows


async def reaction_toggle(*, room_name: str, seq: int, identity: Identity, emoji: str) -> None:
    """Toggle a reaction, then send the room the message's reactions."""
    reactions = await database_sync_to_async(reaction_toggle_store)(
        room_name=room_name, seq=seq, identity=identity, emoji=emoji
    )
    await event_broadcast(room_name, events.reactions_event(seq, reactions))
