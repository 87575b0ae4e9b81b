"""Sending to connections: every broadcast goes through here, to an address.

A broadcast travels in a channel-layer group and is handed, in each server
process, by its hub (chat.realtime.hub) to the local connections at the
address. A room's key is its group. All people share one group, so a process
subscribes to it once, not once per person; the key picks out one person's
connections (all their tabs). Activity in a room (for sidebars) goes to a group
of its own, which the connections of the room's members follow.

A change made by a synchronous service is announced once its transaction commits
(``on_commit_send``), whoever opened that transaction (the admin wraps its saves and
deletions in one): connections that hear of a change read it from the database.
"""

import logging
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from redis.exceptions import RedisError

from chat.protocol import events
from chat.rooms import person_key, room_group_name

logger = logging.getLogger(__name__)

PEOPLE_GROUP = "people"
# What the channel layer raises when Redis can't be reached.
LAYER_ERRORS = (RedisError, OSError)


@dataclass(frozen=True, slots=True)
class Address:
    group: str  # the channel-layer group the broadcast travels in
    key: str  # which connections it is for


def room_address(room_name: str) -> Address:
    """Every connection in a room."""
    group = room_group_name(room_name)
    return Address(group, group)


def person_address(identity_key: str) -> Address:
    """Every connection of one person, in any room."""
    return Address(PEOPLE_GROUP, person_key(identity_key))


def activity_address(room_name: str) -> Address:
    """The connections of every signed-in person with ``room_name`` in their sidebar."""
    group = f"activity.{room_group_name(room_name).removeprefix('room.')}"
    return Address(group, group)


async def send_to(address: Address, message: dict) -> None:
    """Broadcast ``message`` to every connection at ``address``, in every process."""
    await get_channel_layer().group_send(address.group, {**message, "to": address.key})


def on_commit_send(address: Address, message: dict) -> None:
    """Broadcast ``message`` to ``address`` once the transaction open now commits (at once
    when none is open); nothing is sent if it rolls back. Redis being away only costs the
    live update (a warning is logged), and no failure here keeps the transaction's other
    commit callbacks from running."""

    def send() -> None:
        try:
            async_to_sync(send_to)(address, message)
        except LAYER_ERRORS:
            logger.warning("could not broadcast %s to %s", message["type"], address.key)

    transaction.on_commit(send, robust=True)


def event_message(event: events.ServerEvent) -> dict:
    """The broadcast that carries one event, encoded once for every connection."""
    return {"type": events.GROUP_EVENT_TYPE, "text": events.event_encode(event)}


async def event_broadcast(room_name: str, event: events.ServerEvent) -> bool:
    """Send one event to every connection of a room; False if Redis is away."""
    try:
        await send_to(room_address(room_name), event_message(event))
    except LAYER_ERRORS:
        logger.warning("room %r: could not broadcast %s", room_name, event["type"])
        return False
    return True
