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
from dataclasses import dataclass, field

from django.conf import settings

from chat.identity import Identity
from chat.loops import per_event_loop
from chat.protocol import events
from chat.redis_client import redis_client
from chat.rooms import public_person_id, room_group_name
from chat.services.broadcast import room_address, send_to

logger = logging.getLogger(__name__)

TTL = 45.0  # seconds an entry lives without a heartbeat
HEARTBEAT = 15.0

_PURGE = """
local left = {}
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  for _, entry in ipairs(expired) do
    local person = string.sub(entry, string.find(entry, '|', 1, true) + 1)
    if redis.call('HINCRBY', KEYS[2], person, -1) <= 0 then
      redis.call('HDEL', KEYS[2], person)
      local who = redis.call('HGET', KEYS[3], person)
      redis.call('HDEL', KEYS[3], person)
      if who then table.insert(left, who) end
    end
  end
end
"""

# ARGV: now, expiry, entry, person, who-json, key lifetime (s)
_ADD = (
    _PURGE
    + """
local joined = 0
if redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3]) == 1 then
  if redis.call('HINCRBY', KEYS[2], ARGV[4], 1) == 1 then joined = 1 end
end
local previous = redis.call('HGET', KEYS[3], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
if previous and previous ~= ARGV[5] then joined = 1 end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
local version = redis.call('GET', KEYS[4]) or 0
if joined == 1 or #left > 0 then version = redis.call('INCR', KEYS[4]) end
return {joined, tonumber(version), '[' .. table.concat(left, ',') .. ']'}
"""
)

# ARGV: now, entry, person
_REMOVE = (
    _PURGE
    + """
if redis.call('ZREM', KEYS[1], ARGV[2]) == 1 then
  if redis.call('HINCRBY', KEYS[2], ARGV[3], -1) <= 0 then
    redis.call('HDEL', KEYS[2], ARGV[3])
    local who = redis.call('HGET', KEYS[3], ARGV[3])
    redis.call('HDEL', KEYS[3], ARGV[3])
    if who then table.insert(left, who) end
  end
end
local version = redis.call('GET', KEYS[4]) or 0
if #left > 0 then version = redis.call('INCR', KEYS[4]) end
return {0, tonumber(version), '[' .. table.concat(left, ',') .. ']'}
"""
)

# ARGV: now
_SNAPSHOT = (
    _PURGE
    + """
local version = redis.call('GET', KEYS[4]) or 0
if #left > 0 then version = redis.call('INCR', KEYS[4]) end
local people = redis.call('HVALS', KEYS[3])
return {tonumber(version), '[' .. table.concat(left, ',') .. ']',
        '[' .. table.concat(people, ',') .. ']'}
"""
)


def _keys(room_name: str) -> list[str]:
    room_hash = room_group_name(room_name).removeprefix("room.")
    prefix = f"{settings.CHAT_REDIS_PREFIX}:presence:{room_hash}"
    return [f"{prefix}:entries", f"{prefix}:count", f"{prefix}:who", f"{prefix}:version"]


def person_public(identity: Identity) -> dict:
    """How a person appears in presence, typing and join/leave frames."""
    return {"id": public_person_id(identity.key), "user": identity.name, "guest": identity.is_guest}


@dataclass
class Change:
    """The outcome of one update: who joined (if anyone), who left, and its version."""

    version: int
    joined: dict | None = None
    left: list[dict] = field(default_factory=list)


@dataclass
class Snapshot:
    version: int
    users: list[dict]
    left: list[dict]


class PresenceTracker:
    """This process's view: how many local connections each person has in each room."""

    def __init__(self, process_id: str | None = None, ttl: float = TTL, clock=time.time) -> None:
        """``clock`` gives the time in seconds since the epoch: expiry times live in Redis,
        shared by every process."""
        self.process_id = process_id or uuid.uuid4().hex[:12]
        self.ttl = ttl
        self.clock = clock
        self.local: dict[tuple[str, str], tuple[int, Identity]] = {}
        self._heartbeat: asyncio.Task | None = None

    def _entry(self, identity: Identity) -> str:
        return f"{self.process_id}|{identity.key}"

    async def _add(self, room_name: str, identity: Identity) -> Change:
        now = self.clock()
        who = json.dumps(person_public(identity), ensure_ascii=False, separators=(",", ":"))
        joined, version, left = await redis_client().eval(
            _ADD,
            4,
            *_keys(room_name),
            now,
            now + self.ttl,
            self._entry(identity),
            identity.key,
            who,
            int(self.ttl * 4),
        )
        return Change(
            version=int(version), joined=json.loads(who) if joined else None, left=json.loads(left)
        )

    async def join(self, room_name: str, identity: Identity) -> Change | None:
        """A connection of ``identity`` opened here; a Change when Redis had to be told."""
        count, _ = self.local.get((room_name, identity.key), (0, identity))
        self.local[(room_name, identity.key)] = (count + 1, identity)
        self._ensure_heartbeat()
        if count == 0:
            return await self._add(room_name, identity)
        return None

    async def leave(self, room_name: str, identity: Identity) -> Change | None:
        count, _ = self.local.get((room_name, identity.key), (1, identity))
        if count > 1:
            self.local[(room_name, identity.key)] = (count - 1, identity)
            return None
        self.local.pop((room_name, identity.key), None)
        version, left = (
            await redis_client().eval(
                _REMOVE, 4, *_keys(room_name), self.clock(), self._entry(identity), identity.key
            )
        )[1:]
        return Change(version=int(version), left=json.loads(left))

    async def rename(self, room_name: str, identity: Identity) -> Change:
        """The person took a new name: store it, and announce it as a join."""
        count, _ = self.local.get((room_name, identity.key), (1, identity))
        self.local[(room_name, identity.key)] = (count, identity)
        return await self._add(room_name, identity)

    async def snapshot(self, room_name: str) -> Snapshot:
        version, left, users = await redis_client().eval(
            _SNAPSHOT, 4, *_keys(room_name), self.clock()
        )
        people = sorted(json.loads(users), key=lambda u: (u["user"].casefold(), u["id"]))
        return Snapshot(version=int(version), users=people, left=json.loads(left))

    async def online_counts(self, room_names: list[str]) -> dict[str, int]:
        """How many people are in each room (entries of dead processes included until purged)."""
        async with redis_client().pipeline(transaction=False) as pipe:
            for name in room_names:
                pipe.hlen(_keys(name)[1])
            counts = await pipe.execute()
        return dict(zip(room_names, (int(c) for c in counts), strict=True))

    async def refresh(self) -> list[tuple[str, Change]]:
        """Re-register every local entry (the heartbeat; also re-creates them after Redis
        lost its data) and purge expired ones. Returns the changes to announce."""
        changes = []
        for (room_name, _), (_, identity) in list(self.local.items()):
            change = await self._add(room_name, identity)
            if change.joined or change.left:
                changes.append((room_name, change))
        return changes

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    async def _beat(self) -> None:
        while self.local:
            await asyncio.sleep(HEARTBEAT)
            try:
                for room_name, change in await self.refresh():
                    await announce(room_name, change)
            except Exception:
                logger.warning("presence heartbeat failed", exc_info=True)


async def announce(room_name: str, change: Change | Snapshot | None) -> None:
    """Tell the room who joined and who left."""
    if change is None:
        return
    frames = [events.leave_event(user, change.version) for user in change.left]
    if isinstance(change, Change) and change.joined:
        frames.append(events.join_event(change.joined, change.version))
    for frame in frames:
        await send_to(
            room_address(room_name),
            {"type": events.GROUP_EVENT_TYPE, "text": events.event_encode(frame)},
        )


@per_event_loop
def presence() -> PresenceTracker:
    """The tracker of this process (one per event loop)."""
    return PresenceTracker()


async def presence_snapshot(room_name: str) -> events.PresenceEvent:
    """Who is in the room now, as a frame for one connection (purged leaves are announced)."""
    snapshot = await presence().snapshot(room_name)
    await announce(room_name, snapshot)
    return events.presence_event(snapshot.users, snapshot.version)


async def presence_join(room_name: str, identity: Identity) -> events.PresenceEvent:
    """A connection of ``identity`` opened in the room: announce the person if they are
    new here; returns who is in the room, for that connection."""
    await announce(room_name, await presence().join(room_name, identity))
    return await presence_snapshot(room_name)


async def presence_leave(room_name: str, identity: Identity) -> None:
    """A connection closed: announce the person's leave if it was their last one."""
    await announce(room_name, await presence().leave(room_name, identity))


async def presence_rename(room_name: str, identity: Identity) -> None:
    """The person took a new name: the room sees them join under it."""
    await announce(room_name, await presence().rename(room_name, identity))


async def presence_restore(room_name: str) -> events.PresenceEvent:
    """After Redis lost its data: register this process's people again, announce the
    changes; returns who is in ``room_name``, for one connection."""
    for changed_room, change in await presence().refresh():
        await announce(changed_room, change)
    return await presence_snapshot(room_name)
