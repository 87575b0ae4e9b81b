"""Who is in each room, as kept in Redis and changed by Lua scripts.

A person counts once however many tabs they have open. Each process records
one entry per (process, person, room) in a sorted set scored by an expiry
time, and refreshes its entries with a heartbeat (``tracker.py``). A process
that dies without cleaning up stops refreshing; its entries expire and are
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

import json
from dataclasses import dataclass, field

import redis.exceptions
from django.conf import settings

from chat.identity import NO_FACE, Identity
from chat.redis_client import redis_client
from chat.rooms import public_person_id, room_group_name

# A room's version counts its changes, one each. A missing counter (a new room, or
# Redis restarted empty) starts from Redis's clock in microseconds, so versions
# never go back for a connection that saw the room before.
VERSION_SCRIPT = """
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
-- One of the person's entries is gone: the last one makes them leave.
local function entry_gone(person)
  if redis.call('HINCRBY', KEYS[2], person, -1) <= 0 then
    redis.call('HDEL', KEYS[2], person)
    local who = redis.call('HGET', KEYS[3], person)
    redis.call('HDEL', KEYS[3], person)
    if who then changed('leave', who) end
  end
end
"""

PURGE_SCRIPT = (
    VERSION_SCRIPT
    + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
  for _, entry in ipairs(expired) do
    entry_gone(string.sub(entry, string.find(entry, '|', 1, true) + 1))
  end
end
"""
)

# Joins and leaves of one room, in the order they happened: one script for all.
# ARGV: now, expiry, key lifetime (s), "1" to return who is here, then four per change:
# "join" or "leave", entry, person, who-json ("" for a leave).
# Returns the room's version, who is here (JSON, or ""), then kind, version, who-json
# of each join or leave it made (expired entries purged first).
APPLY_SCRIPT = (
    PURGE_SCRIPT
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
    entry_gone(person)
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
# Returns the room's version, who is here, then the purged leaves as in APPLY_SCRIPT.
SNAPSHOT_SCRIPT = (
    PURGE_SCRIPT
    + """
local version = current_version()
local people = redis.call('HVALS', KEYS[3])
table.insert(changes, 1, '[' .. table.concat(people, ',') .. ']')
table.insert(changes, 1, version)
return changes
"""
)


def room_keys(room_name: str) -> list[str]:
    room_hash = room_group_name(room_name).removeprefix("room.")
    prefix = f"{settings.CHAT_REDIS_PREFIX}:presence:{room_hash}"
    return [f"{prefix}:entries", f"{prefix}:count", f"{prefix}:who", f"{prefix}:version"]


def person_public(identity: Identity) -> dict:
    """How a person appears in presence, typing and join/leave frames: with a signed-up
    person's display name, status and Do Not Disturb when they have them."""
    public = {
        "id": public_person_id(identity.key),
        "user": identity.name,
        "guest": identity.is_guest,
    }
    if identity.face is not NO_FACE:
        public.update(identity.face.public())
    return public


def who_json(identity: Identity) -> str:
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


def changes_of(flat: list) -> list[tuple[str, int, dict]]:
    """Kind, version, who-json triples, as a script returns them."""
    return [
        (kind.decode() if isinstance(kind, bytes) else kind, int(version), json.loads(who))
        for kind, version, who in zip(flat[0::3], flat[1::3], flat[2::3], strict=True)
    ]


async def presence_lists(room_names: list[str]) -> dict[str, list[dict]]:
    """Who each room's presence lists, in one round trip for all the rooms: read only,
    so someone whose entries are expiring just now may still be among them (enough to
    tell whom a message @mentions)."""
    async with redis_client().pipeline(transaction=False) as pipe:
        for room_name in room_names:
            pipe.hvals(room_keys(room_name)[2])
        answers = await pipe.execute()
    return {
        room_name: [json.loads(who) for who in found]
        for room_name, found in zip(room_names, answers, strict=True)
    }


# After Redis restarts, the first use of each pooled connection fails: Redis closed it.
# Updates are idempotent and connections tell repeated changes apart by version, so
# they are tried once more, on a new connection.


async def script_run(*args):
    """Run a script (``redis.eval``'s arguments), once more on a closed connection."""
    try:
        return await redis_client().eval(*args)
    except redis.exceptions.ConnectionError:
        return await redis_client().eval(*args)
