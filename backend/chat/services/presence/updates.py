"""Rooms' joins, leaves and snapshots as this process's connections ask for them.

A room's joins and leaves go to Redis together, at most every ``UPDATE_SPACING``
seconds, and are announced in one broadcast; connections of a room asking for a
snapshot at the same moment share one read."""

import asyncio
import logging

from chat.identity import Identity
from chat.protocol import events
from chat.services.batching import Batcher
from chat.services.presence.announce import announce
from chat.services.presence.store import Change, Snapshot
from chat.services.presence.tracker import PresenceTracker

logger = logging.getLogger(__name__)

# A room's joins and leaves in one process go to Redis (and out) at most this often:
# people arriving together are announced together. A lone change goes at once.
UPDATE_SPACING = 0.2


class RoomUpdates:
    """Each room's joins and leaves not yet told to Redis, and the snapshots being read."""

    def __init__(self, tracker: PresenceTracker) -> None:
        self.tracker = tracker
        self._batchers: dict[str, Batcher] = {}
        self._snapshots: dict[str, asyncio.Future] = {}

    async def join(self, room_name: str, identity: Identity) -> events.PresenceEvent:
        """A connection of ``identity`` opened in the room: announce the person if they
        are new here; returns who is in the room, for that connection.

        People who join a room of this process within ``UPDATE_SPACING`` of its previous
        update go to Redis together, and are announced in one broadcast (and one frame
        to each connection): a room filling up with n people costs O(n) frames, not
        O(n²)."""
        return await self._updates_of(room_name).submit(("join", identity))

    async def leave(self, room_name: str, identity: Identity) -> None:
        """A connection closed: announce the person's leave if it was their last one
        (with the other leaves and joins of the room in this process at that moment)."""
        await self._updates_of(room_name).submit(("leave", identity))

    async def rename(self, room_name: str, identity: Identity) -> None:
        """The person took a new name: the room sees them join under it."""
        await announce(room_name, await self.tracker.rename(room_name, identity))

    async def restore(self, room_name: str) -> events.PresenceEvent:
        """After Redis lost its data: register this process's people again, announce
        the changes; returns who is in ``room_name``, for one connection."""
        await self.tracker.refresh_and_announce()
        return await self.snapshot(room_name)

    async def snapshot(self, room_name: str) -> events.PresenceEvent:
        """Who is in the room now, as a frame for one connection (purged leaves are
        announced).

        Connections of one room asking at the same moment (a gap that reached them all)
        share one read of Redis: a room of n people costs one snapshot, not n."""
        in_flight = self._snapshots
        if room_name not in in_flight:

            async def read() -> events.PresenceEvent:
                try:
                    snapshot = await self.tracker.snapshot(room_name)
                    await self._announce_or_resync(room_name, snapshot)
                    return events.presence_event(snapshot.users, snapshot.version)
                finally:
                    in_flight.pop(room_name, None)

            in_flight[room_name] = asyncio.ensure_future(read())
        return await asyncio.shield(in_flight[room_name])

    async def _announce_or_resync(self, room_name: str, change: Change | Snapshot | None) -> None:
        """Announce; when that fails (the channel layer reconnecting), this process's
        connections get new snapshots soon instead."""
        try:
            await announce(room_name, change)
        except Exception:
            logger.warning("presence change not announced; snapshots will follow", exc_info=True)
            self.tracker.redis_recovered()

    def _updates_of(self, room_name: str) -> Batcher:
        batchers = self._batchers
        if room_name not in batchers:

            async def handle(updates: list[tuple[str, Identity]]) -> list:
                change, snapshot = await self.tracker.apply(room_name, updates)
                await self._announce_or_resync(room_name, change)
                if snapshot is None:
                    return [None] * len(updates)
                event = events.presence_event(snapshot.users, snapshot.version)
                return [event if kind == "join" else None for kind, _ in updates]

            batchers[room_name] = Batcher(
                handle, on_idle=lambda: batchers.pop(room_name, None), spacing=UPDATE_SPACING
            )
        return batchers[room_name]
