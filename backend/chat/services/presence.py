"""Who is in a room right now, across every server process, kept in Redis.

A person counts once however many tabs they have open. Each process records
one entry per (process, person, room) in a sorted set scored by an expiry
time, and refreshes its entries with a heartbeat. A process that dies without
cleaning up stops refreshing; its entries expire after ``TTL`` seconds and are
purged (with a ``leave`` event) by the next update or heartbeat in that room.

Keys of a room (``<h>`` is the room's hash, as in its group name; every key
starts with ``CHAT_REDIS_PREFIX``):
- ``<prefix>:presence:<h>:entries``  sorted set  "<process>|<person>" -> expiry time
- ``<prefix>:presence:<h>:count``    hash        person -> number of live entries
- ``<prefix>:presence:<h>:who``      hash        person -> public JSON of the person
- ``<prefix>:presence:<h>:version``  counter     bumped on every join/leave

All changes run as Lua scripts, so a join or leave is decided atomically and
carries a version that orders events published by different processes.
"""

import asyncio
import json
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.exceptions
from django.conf import settings

from chat.identity import Identity
from chat.loops import per_event_loop
from chat.protocol import events
from chat.realtime.redis_watch import redis_watch
from chat.redis_client import redis_client
from chat.rooms import public_person_id, room_group_name
from chat.services.batching import Batcher
from chat.services.broadcast import room_address, send_to

logger = logging.getLogger(__name__)


TTL = 30.0  # seconds an entry lives without a heartbeat, unless CHAT_PRESENCE_TTL says
GAP_WAIT = 1.0  # how long a connection waits for a missing change before a new snapshot
PENDING_MAX = 256  # changes a connection holds back while it waits
# A room's joins and leaves in one process go to Redis (and out) at most this often:
# people arriving together are announced together. A lone change goes at once.
UPDATE_SPACING = 0.2
# After Redis came back, waits before each round of new snapshots: processes notice at
# different moments, and their channel layers resubscribe at different moments.
RESYNC_DELAYS = (0.0, 1.0, 1.0, 2.0, 4.0)

# A room's version counts its changes, one each. A missing counter (a new room, or
# Redis restarted empty) starts from Redis's clock in microseconds, so versions
# never go back for a connection that saw the room before.
_VERSION = """
local function current_version()
  local version = redis.call('GET', KEYS[4])
  if not version then
    local t = redis.call('TIME')
    version = t[1] .. string.format('%06d', tonumber(t[2]))
    redis.call('SET', KEYS[4], version, 'EX', 600)
  end
  return tonumber(version)
end
local changes = {}
local function changed(kind, who)
  current_version()
  table.insert(changes, kind)
  table.insert(changes, redis.call('INCR', KEYS[4]))
  table.insert(changes, who)
end
"""

_PURGE = (
    _VERSION
    + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  for _, entry in ipairs(expired) do
    local person = string.sub(entry, string.find(entry, '|', 1, true) + 1)
    if redis.call('HINCRBY', KEYS[2], person, -1) <= 0 then
      redis.call('HDEL', KEYS[2], person)
      local who = redis.call('HGET', KEYS[3], person)
      redis.call('HDEL', KEYS[3], person)
      if who then changed('leave', who) end
    end
  end
end
"""
)

# Joins and leaves of one room, in the order they happened: one script for all.
# ARGV: now, expiry, key lifetime (s), "1" to return who is here, then four per change:
# "join" or "leave", entry, person, who-json ("" for a leave).
# Returns the room's version, who is here (JSON, or ""), then kind, version, who-json
# of each join or leave it made (expired entries purged first).
_APPLY = (
    _PURGE
    + """
for i = 5, #ARGV, 4 do
  local kind, entry, person, who = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if kind == 'join' then
    local joined = false
    if redis.call('ZADD', KEYS[1], ARGV[2], entry) == 1 then
      if redis.call('HINCRBY', KEYS[2], person, 1) == 1 then joined = true end
    end
    local previous = redis.call('HGET', KEYS[3], person)
    redis.call('HSET', KEYS[3], person, who)
    if previous and previous ~= who then joined = true end
    if joined then changed('join', who) end
  elseif redis.call('ZREM', KEYS[1], entry) == 1 then
    if redis.call('HINCRBY', KEYS[2], person, -1) <= 0 then
      redis.call('HDEL', KEYS[2], person)
      local gone = redis.call('HGET', KEYS[3], person)
      redis.call('HDEL', KEYS[3], person)
      if gone then changed('leave', gone) end
    end
  end
end
local version = current_version()
for k = 1, 4 do redis.call('EXPIRE', KEYS[k], ARGV[3]) end
local people = ''
if ARGV[4] == '1' then
  people = '[' .. table.concat(redis.call('HVALS', KEYS[3]), ',') .. ']'
end
table.insert(changes, 1, people)
table.insert(changes, 1, version)
return changes
"""
)

# ARGV: now
# Returns the room's version, who is here, then the purged leaves as in _APPLY.
_SNAPSHOT = (
    _PURGE
    + """
local version = current_version()
local people = redis.call('HVALS', KEYS[3])
table.insert(changes, 1, '[' .. table.concat(people, ',') .. ']')
table.insert(changes, 1, version)
return changes
"""
)


def _keys(room_name: str) -> list[str]:
    room_hash = room_group_name(room_name).removeprefix("room.")
    prefix = f"{settings.CHAT_REDIS_PREFIX}:presence:{room_hash}"
    return [f"{prefix}:entries", f"{prefix}:count", f"{prefix}:who", f"{prefix}:version"]


def person_public(identity: Identity) -> dict:
    """How a person appears in presence, typing and join/leave frames."""
    return {"id": public_person_id(identity.key), "user": identity.name, "guest": identity.is_guest}


def _who(identity: Identity) -> str:
    """The person's public JSON, as stored in Redis."""
    return json.dumps(person_public(identity), ensure_ascii=False, separators=(",", ":"))


@dataclass
class Change:
    """The outcome of one update: the room's version after it, and each join or leave it
    made, in order, with its own version."""

    version: int
    events: list[tuple[str, int, dict]] = field(default_factory=list)

    @property
    def joined(self) -> dict | None:
        return next((who for kind, _, who in self.events if kind == "join"), None)

    @property
    def left(self) -> list[dict]:
        return [who for kind, _, who in self.events if kind == "leave"]


@dataclass
class Snapshot:
    version: int
    users: list[dict]
    events: list[tuple[str, int, dict]]  # leaves of expired entries purged on the way

    @property
    def left(self) -> list[dict]:
        return [who for _, _, who in self.events]


def _events(flat: list) -> list[tuple[str, int, dict]]:
    """Kind, version, who-json triples, as a script returns them."""
    return [
        (kind.decode() if isinstance(kind, bytes) else kind, int(version), json.loads(who))
        for kind, version, who in zip(flat[0::3], flat[1::3], flat[2::3], strict=True)
    ]


class PresenceTracker:
    """This process's view: how many local connections each person has in each room."""

    def __init__(
        self, process_id: str | None = None, ttl: float | None = None, clock=time.time
    ) -> None:
        """``clock`` gives the time in seconds since the epoch: expiry times live in Redis,
        shared by every process."""
        self.process_id = process_id or uuid.uuid4().hex[:12]
        self.ttl = ttl or getattr(settings, "CHAT_PRESENCE_TTL", TTL)
        self.clock = clock
        self.local: dict[tuple[str, str], tuple[int, Identity]] = {}
        self._heartbeat: asyncio.Task | None = None
        self._recovery: asyncio.Task | None = None
        self.feeds: weakref.WeakSet[PresenceFeed] = weakref.WeakSet()  # of local connections

    def _entry(self, identity: Identity) -> str:
        return f"{self.process_id}|{identity.key}"

    async def _tell(self, room_name: str, told: list, *, people: bool) -> tuple[Change, str]:
        """Run the room's script on ``told`` (four arguments per change); the change, and
        who is in the room (JSON) when ``people``."""
        now = self.clock()
        version, users, *flat = await _eval(
            _APPLY, 4, *_keys(room_name), now, now + self.ttl, int(self.ttl * 4),
            "1" if people else "0", *told,
        )  # fmt: skip
        return Change(version=int(version), events=_events(flat)), users

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
                    told += ["join", self._entry(identity), identity.key, _who(identity)]
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
        told = ["join", self._entry(identity), identity.key, _who(identity)]
        return (await self._tell(room_name, told, people=False))[0]

    async def snapshot(self, room_name: str) -> Snapshot:
        version, users, *flat = await _eval(_SNAPSHOT, 4, *_keys(room_name), self.clock())
        people = sorted(json.loads(users), key=lambda u: (u["user"].casefold(), u["id"]))
        return Snapshot(version=int(version), users=people, events=_events(flat))

    async def online_counts(self, room_names: list[str]) -> dict[str, int]:
        """How many people are in each room: those with an entry that has not expired
        (a dead process's people drop out ``ttl`` seconds after its last heartbeat)."""
        async with redis_client().pipeline(transaction=False) as pipe:
            for name in room_names:
                pipe.zrangebyscore(_keys(name)[0], f"({self.clock()}", "+inf")
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
                told += ["join", self._entry(identity), identity.key, _who(identity)]
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
            await _publish(room_name, {"type": events.PRESENCE_TYPE, "v": version})

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())
            redis_watch().add(self)

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
        rooms: dict[str, list[PresenceFeed]] = {}
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
            redis_watch().discard(self)


async def presence_lists(room_names: list[str]) -> dict[str, list[dict]]:
    """Who each room's presence lists, in one round trip for all the rooms: read only,
    so someone whose entries are expiring just now may still be among them (enough to
    tell whom a message @mentions)."""
    async with redis_client().pipeline(transaction=False) as pipe:
        for room_name in room_names:
            pipe.hvals(_keys(room_name)[2])
        answers = await pipe.execute()
    return {
        room_name: [json.loads(who) for who in found]
        for room_name, found in zip(room_names, answers, strict=True)
    }


async def announce(room_name: str, change: Change | Snapshot | None) -> None:
    """Tell the room who joined and who left."""
    if change is None or not change.events:
        return
    frames = [
        [version, events.event_encode(
            events.join_event(who, version) if kind == "join" else events.leave_event(who, version)
        )]
        for kind, version, who in change.events
    ]  # fmt: skip
    if len(frames) == 1:
        [[version, text]] = frames
        await _publish(room_name, {"type": events.PRESENCE_TYPE, "v": version, "text": text})
    else:  # several people at once: one broadcast, and one frame to each connection
        await _publish(
            room_name, {"type": events.PRESENCE_TYPE, "v": frames[-1][0], "changes": frames}
        )


# After Redis restarts, the first use of each pooled connection fails: Redis closed it.
# Updates are idempotent and connections tell repeated changes apart by version, so
# they are tried once more, on a new connection.


async def _eval(*args):
    try:
        return await redis_client().eval(*args)
    except redis.exceptions.ConnectionError:
        return await redis_client().eval(*args)


async def _publish(room_name: str, message: dict) -> None:
    try:
        await send_to(room_address(room_name), message)
    except Exception:
        await send_to(room_address(room_name), message)


class PresenceFeed:
    """The presence frames of one connection, sent in the order of their versions.

    Changes from different processes can arrive out of order, and a change can
    arrive before the connection's snapshot. A change is held until every change
    before it was sent (or a snapshot covers it); a gap that doesn't close within
    ``GAP_WAIT`` seconds, or a room version above what was sent (from a heartbeat),
    is made good with a new snapshot. So a page that applies only frames above the
    last version it applied still ends up with the room's list.
    """

    __slots__ = ("room_name", "send", "version", "known", "pending", "lock", "_gap", "__weakref__")

    def __init__(self, room_name: str, send: Callable[[str], Awaitable[None]]) -> None:
        self.room_name = room_name
        self.send = send
        self.version: int | None = None  # of the last frame sent; None before a snapshot
        self.known = 0  # the highest version heard of
        self.pending: dict[int, str] = {}  # version -> encoded change, held back
        self.lock = asyncio.Lock()
        self._gap: asyncio.Task | None = None

    async def join(self, identity: Identity) -> None:
        """The connection's person is in the room: register them, send the snapshot.
        Raises when Redis is unreachable; the connection gets a snapshot once it's back."""
        presence().feeds.add(self)
        await self.snapshot(await presence_join(self.room_name, identity))

    async def offer(self, version: int, text: str | None) -> None:
        """A change broadcast to the room, or (``text`` None) the room's version."""
        await self.offer_many(version, [] if text is None else [(version, text)])

    async def offer_many(self, version: int, changes: list[tuple[int, str]]) -> None:
        """Changes broadcast together (their versions in order), the last at ``version``."""
        self.known = max(self.known, version)
        if self.version is not None and version <= self.version:
            return
        for change_version, text in changes:
            self.pending[change_version] = text
        if len(self.pending) > PENDING_MAX:
            self.pending.clear()  # a snapshot will do instead
        async with self.lock:
            await self._flush()

    async def snapshot(self, event: events.PresenceEvent) -> None:
        """Send a snapshot, unless the connection was sent its version or a later one."""
        async with self.lock:
            self.known = max(self.known, event["v"])
            if self.version is not None and event["v"] <= self.version:
                return  # the connection has this version, or a later one
            self.version = event["v"]
            await self.send(events.event_encode(event))
            await self._flush()

    async def _flush(self) -> None:
        if self.version is None:
            return
        for version in [v for v in self.pending if v <= self.version]:
            del self.pending[version]
        ready = []
        while (text := self.pending.pop(self.version + 1, None)) is not None:
            self.version += 1
            ready.append(text)
        if len(ready) == 1:
            await self.send(ready[0])
        elif ready:  # one frame for the lot: people joining together cost one frame each
            await self.send(events.presence_changes_text(ready, self.version))
        if self.known > self.version and (self._gap is None or self._gap.done()):
            self._gap = asyncio.get_running_loop().create_task(self._fill_gap())

    async def _fill_gap(self) -> None:
        await asyncio.sleep(GAP_WAIT)
        if self.version is None or self.known <= self.version:
            return
        try:
            await self.snapshot(await presence_snapshot(self.room_name))
        except Exception:
            logger.warning("presence snapshot for a missing change failed", exc_info=True)

    def close(self) -> None:
        presence().feeds.discard(self)
        if self._gap is not None:
            self._gap.cancel()
        self.pending.clear()


@per_event_loop
def presence() -> PresenceTracker:
    """The tracker of this process (one per event loop)."""
    return PresenceTracker()


@per_event_loop
def _snapshots_in_flight() -> dict[str, asyncio.Future]:
    return {}


async def presence_snapshot(room_name: str) -> events.PresenceEvent:
    """Who is in the room now, as a frame for one connection (purged leaves are announced).

    Connections of one room asking at the same moment (a gap that reached them all)
    share one read of Redis: a room of n people costs one snapshot, not n."""
    in_flight = _snapshots_in_flight()
    if room_name not in in_flight:

        async def read() -> events.PresenceEvent:
            try:
                snapshot = await presence().snapshot(room_name)
                await _announce_or_resync(room_name, snapshot)
                return events.presence_event(snapshot.users, snapshot.version)
            finally:
                in_flight.pop(room_name, None)

        in_flight[room_name] = asyncio.ensure_future(read())
    return await asyncio.shield(in_flight[room_name])


async def _announce_or_resync(room_name: str, change: Change | Snapshot | None) -> None:
    """Announce; when that fails (the channel layer reconnecting), this process's
    connections get new snapshots soon instead."""
    try:
        await announce(room_name, change)
    except Exception:
        logger.warning("presence change not announced; snapshots will follow", exc_info=True)
        presence().redis_recovered()


@per_event_loop
def _room_updates() -> dict[str, Batcher]:
    """Each room's joins and leaves not yet told to Redis, in this process."""
    return {}


def _updates_of(room_name: str) -> Batcher:
    batchers = _room_updates()
    if room_name not in batchers:

        async def handle(updates: list[tuple[str, Identity]]) -> list:
            change, snapshot = await presence().apply(room_name, updates)
            await _announce_or_resync(room_name, change)
            if snapshot is None:
                return [None] * len(updates)
            event = events.presence_event(snapshot.users, snapshot.version)
            return [event if kind == "join" else None for kind, _ in updates]

        batchers[room_name] = Batcher(
            handle, on_idle=lambda: batchers.pop(room_name, None), spacing=UPDATE_SPACING
        )
    return batchers[room_name]


async def presence_join(room_name: str, identity: Identity) -> events.PresenceEvent:
    """A connection of ``identity`` opened in the room: announce the person if they are
    new here; returns who is in the room, for that connection.

    People who join a room of this process within ``UPDATE_SPACING`` of its previous
    update go to Redis together, and are announced in one broadcast (and one frame to
    each connection): a room filling up with n people costs O(n) frames, not O(n²)."""
    return await _updates_of(room_name).submit(("join", identity))


async def presence_leave(room_name: str, identity: Identity) -> None:
    """A connection closed: announce the person's leave if it was their last one (with
    the other leaves and joins of the room in this process at that moment)."""
    await _updates_of(room_name).submit(("leave", identity))


async def presence_rename(room_name: str, identity: Identity) -> None:
    """The person took a new name: the room sees them join under it."""
    await announce(room_name, await presence().rename(room_name, identity))


async def presence_restore(room_name: str) -> events.PresenceEvent:
    """After Redis lost its data: register this process's people again, announce the
    changes; returns who is in ``room_name``, for one connection."""
    await presence().refresh_and_announce()
    return await presence_snapshot(room_name)
