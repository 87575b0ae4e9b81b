"""Who is in a room right now, across every server process, kept in Redis.

- ``store``: the Redis keys and the Lua scripts that change them; read-only lists.
- ``announce``: broadcasting joins and leaves to a room.
- ``tracker``: this process's people in each room, and their heartbeat.
- ``updates``: joins, leaves and snapshots as connections ask for them, batched per room.

A connection's own ordered frames are ``chat.realtime.presence_feed``. Each
process holds one tracker and one ``RoomUpdates`` (``chat.process``).
"""

from chat.identity import Identity
from chat.process import process
from chat.protocol import events
from chat.services.presence.announce import announce
from chat.services.presence.store import Change, Snapshot, person_public, presence_lists
from chat.services.presence.tracker import TTL, PresenceTracker
from chat.services.presence.updates import RoomUpdates

__all__ = [
    "TTL",
    "Change",
    "PresenceTracker",
    "RoomUpdates",
    "Snapshot",
    "announce",
    "person_public",
    "presence",
    "presence_join",
    "presence_leave",
    "presence_lists",
    "presence_rename",
    "presence_restore",
    "presence_snapshot",
]


def presence() -> PresenceTracker:
    """This process's tracker."""
    return process().presence


async def presence_join(room_name: str, identity: Identity) -> events.PresenceEvent:
    return await process().presence_updates.join(room_name, identity)


async def presence_leave(room_name: str, identity: Identity) -> None:
    await process().presence_updates.leave(room_name, identity)


async def presence_rename(room_name: str, identity: Identity) -> None:
    await process().presence_updates.rename(room_name, identity)


async def presence_restore(room_name: str) -> events.PresenceEvent:
    return await process().presence_updates.restore(room_name)


async def presence_snapshot(room_name: str) -> events.PresenceEvent:
    return await process().presence_updates.snapshot(room_name)
