"""This process's share of presence: its people in each room, and their heartbeat."""

import asyncio
import json
import logging
import time
import uuid
import weakref
from typing import Protocol

from django.conf import settings

from chat.identity import Identity
from chat.protocol import events
from chat.redis_client import redis_client
from chat.services.presence.announce import announce, publish
from chat.services.presence.store import (
    APPLY_SCRIPT,
    SNAPSHOT_SCRIPT,
    Change,
    Snapshot,
    changes_of,
    room_keys,
    script_run,
    who_json,
)

logger = logging.getLogger(__name__)

TTL = 30.0  # seconds an entry lives without a heartbeat, unless CHAT_PRESENCE_TTL says
# After Redis came back, waits before each round of new snapshots: processes notice at
# different moments, and their channel layers resubscribe at different moments.
RESYNC_DELAYS = (0.0, 1.0, 1.0, 2.0, 4.0)


class Feed(Protocol):
    """A connection's presence frames (``chat.realtime.presence_feed``)."""

    room_name: str

    async def snapshot(self, event: events.PresenceEvent) -> None: ...


class Watch(Protocol):
    """What tells this process that Redis came back (``chat.redis_watch``)."""

    def add(self, listener) -> None: ...

    def discard(self, listener) -> None: ...


class PresenceTracker:
    """This process's view: how many local connections each person has in each room."""

    def __init__(
        self,
        process_id: str | None = None,
        ttl: float | None = None,
        clock=time.time,
        watch: Watch | None = None,
    ) -> None:
        """``clock`` gives the time in seconds since the epoch: expiry times live in Redis,
        shared by every process. While this process has people anywhere, ``watch`` tells
        it when Redis comes back, so it registers them again."""
        self.process_id = process_id or uuid.uuid4().hex[:12]
        self.ttl = ttl or getattr(settings, "CHAT_PRESENCE_TTL", TTL)
        self.clock = clock
        self.local: dict[tuple[str, str], tuple[int, Identity]] = {}
        self._heartbeat: asyncio.Task | None = None
        self._recovery: asyncio.Task | None = None
        self.watch = watch
        self.feeds: weakref.WeakSet[Feed] = weakref.WeakSet()  # of local connections

    def _entry(self, identity: Identity) -> str:
        return f"{self.process_id}|{identity.key}"

    async def _tell(self, room_name: str, told: list, *, people: bool) -> tuple[Change, str]:
        """Run the room's script on ``told`` (four arguments per change); the change, and
        who is in the room (JSON) when ``people``."""
        now = self.clock()
        version, users, *flat = await script_run(
            APPLY_SCRIPT, 4, *room_keys(room_name), now, now + self.ttl, int(self.ttl * 4),
            "1" if people else "0", *told,
        )  # fmt: skip
        return Change(version=int(version), events=changes_of(flat)), users

    async def join(self, room_name: str, identity: Identity) -> Change | None:
        """A connection of ``identity`` opened here."""
        change, _ = await self.apply(room_name, [("join", identity)])
        return change

    async def apply(
        self, room_name: str, updates: list[tuple[str, Identity]]
    ) -> tuple[Change | None, Snapshot | None]:
        """Connections opened ("join") and closed ("leave") here, in order, told to Redis in
        one go. Returns the change, None when Redis needn't be told (another tab of each
        person is still here); and, when someone joined, who is in the room after it."""
        joining = any(kind == "join" for kind, _ in updates)
        told: list = []
        for kind, identity in updates:
            key = (room_name, identity.key)
            count, _ = self.local.get(key, (0, identity))
            if kind == "join":
                self.local[key] = (count + 1, identity)
                if count == 0:
                    told += ["join", self._entry(identity), identity.key, who_json(identity)]
            elif count > 1:
                self.local[key] = (count - 1, identity)
            else:
                self.local.pop(key, None)
                told += ["leave", self._entry(identity), identity.key, ""]
        if joining:
            self._ensure_heartbeat()
        if not told and not joining:
            return None, None
        try:
            change, users = await self._tell(room_name, told, people=joining)
        except Exception:
            if joining:
                self.redis_recovered()  # Redis is restarting, say: register soon
            raise
        if not joining:
            return change, None
        people = sorted(json.loads(users), key=lambda u: (u["user"].casefold(), u["id"]))
        return change, Snapshot(version=change.version, users=people, events=[])

    async def leave(self, room_name: str, identity: Identity) -> Change | None:
        """A connection of ``identity`` closed here; a Change when Redis had to be told."""
        change, _ = await self.apply(room_name, [("leave", identity)])
        return change

    async def rename(self, room_name: str, identity: Identity) -> Change:
        """The person took a new name: store it, and announce it as a join."""
        count, _ = self.local.get((room_name, identity.key), (1, identity))
        self.local[(room_name, identity.key)] = (count, identity)
        told = ["join", self._entry(identity), identity.key, who_json(identity)]
        return (await self._tell(room_name, told, people=False))[0]

    async def snapshot(self, room_name: str) -> Snapshot:
        version, users, *flat = await script_run(
            SNAPSHOT_SCRIPT, 4, *room_keys(room_name), self.clock()
        )
        people = sorted(json.loads(users), key=lambda u: (u["user"].casefold(), u["id"]))
        return Snapshot(version=int(version), users=people, events=changes_of(flat))

    async def online_counts(self, room_names: list[str]) -> dict[str, int]:
        """How many people are in each room: those with an entry that has not expired
        (a dead process's people drop out ``ttl`` seconds after its last heartbeat)."""
        async with redis_client().pipeline(transaction=False) as pipe:
            for name in room_names:
                pipe.zrangebyscore(room_keys(name)[0], f"({self.clock()}", "+inf")
            entries = await pipe.execute()
        return {
            name: len({entry.split(b"|", 1)[1] for entry in live})
            for name, live in zip(room_names, entries, strict=True)
        }

    async def refresh(self) -> tuple[list[tuple[str, Change]], dict[str, int]]:
        """Re-register every local entry (the heartbeat; also re-creates them after Redis
        lost its data) and purge expired ones: one script per room, for all of its people
        here. Returns the changes to announce, and each room's version."""
        changes, versions = [], {}
        rooms: dict[str, list[Identity]] = {}
        for (room_name, _), (_, identity) in list(self.local.items()):
            rooms.setdefault(room_name, []).append(identity)
        for room_name, identities in rooms.items():
            told = []
            for identity in identities:
                told += ["join", self._entry(identity), identity.key, who_json(identity)]
            change, _ = await self._tell(room_name, told, people=False)
            versions[room_name] = change.version
            if change.events:
                changes.append((room_name, change))
        return changes, versions

    async def refresh_and_announce(self) -> None:
        """Refresh, announce the changes, and tell each room its version (so a connection
        that missed a change notices, and asks for a snapshot)."""
        changes, versions = await self.refresh()
        for room_name, change in changes:
            await announce(room_name, change)
        for room_name, version in versions.items():
            await publish(room_name, {"type": events.PRESENCE_TYPE, "v": version})

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())
            if self.watch is not None:
                self.watch.add(self)

    def redis_recovered(self) -> None:
        """Redis restarted or came back (or an update failed): register this process's
        people again at once, then resend snapshots."""
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.get_running_loop().create_task(self._recover())

    async def _recover(self) -> None:
        """Register again, then send this process's connections new snapshots: changes
        published while the channel layer was reconnecting never reached them. Again over
        the next seconds, for the people of processes that noticed after this one (a
        connection is sent only a snapshot newer than what it has)."""
        registered = False
        for delay in RESYNC_DELAYS:
            await asyncio.sleep(delay)
            try:
                if not registered:
                    await self.refresh_and_announce()
                    registered = True
                await self._resync()
            except Exception:
                logger.warning("presence not registered again after Redis came back", exc_info=True)

    async def _resync(self) -> None:
        rooms: dict[str, list[Feed]] = {}
        for feed in list(self.feeds):
            rooms.setdefault(feed.room_name, []).append(feed)
        for room_name, feeds in rooms.items():
            try:
                snapshot = await self.snapshot(room_name)
                event = events.presence_event(snapshot.users, snapshot.version)
                for feed in feeds:
                    try:
                        await feed.snapshot(event)
                    except Exception:  # that connection is closing
                        logger.debug("presence snapshot not sent", exc_info=True)
                await announce(room_name, snapshot)
            except Exception:
                logger.warning("presence snapshot after Redis came back failed", exc_info=True)

    async def _beat(self) -> None:
        try:
            while self.local:
                await asyncio.sleep(self.ttl / 3)  # a heartbeat can fail and be made up
                try:
                    await self.refresh_and_announce()
                except Exception:
                    logger.warning("presence heartbeat failed", exc_info=True)
        finally:
            if self.watch is not None:
                self.watch.discard(self)
