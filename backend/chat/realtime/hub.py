"""The process's one member of the channel layer: it fans broadcasts out to local connections.

channels-redis' pub/sub layer subscribes to a group once per process, but then
queues each broadcast once per member, and every member's consumer task wakes,
decodes it and dispatches it. The hub instead joins each group once, receives
each broadcast once, and hands that one decoded message, with its one encoded
frame, to every local connection of the group in turn. Per broadcast, the work
per connection is a check and a write.

A broadcast is sent (chat.services.broadcast) to an ``Address``: the
channel-layer group it travels in, and the key of the connections it is for.
"""

import asyncio
import logging
import weakref
from collections import Counter
from typing import Protocol

from chat.process import process
from chat.realtime.history_cache import HistoryCache
from chat.realtime.known import Known
from chat.selectors import HISTORY_LENGTH
from chat.services.broadcast import LAYER_ERRORS, PEOPLE_GROUP, Address
from observability import metrics

logger = logging.getLogger(__name__)

# Rooms whose latest history page a process keeps (about 25 KiB each).
HISTORY_ROOMS = 1000
# Sessions and rooms whose handshake facts a process keeps, and for how long at most.
KNOWN_SESSIONS, KNOWN_ROOMS, KNOWN_MAX_AGE = 20_000, 10_000, 60.0


class Member(Protocol):
    async def group_message(self, message: dict) -> int:
        """Handle a broadcast without waiting on anything but sending; returns how
        many chat messages it delivered."""


class Hub:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, set[Member]] = {}  # by address key
        self.users = Counter()  # addresses in use, by group
        self.subscribed: set[str] = set()  # the groups whose broadcasts come here
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._channel_lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None
        self._unsubscribing: set[asyncio.Task] = set()
        # The latest messages of the rooms followed here, kept right by their broadcasts.
        self.history = HistoryCache(length=HISTORY_LENGTH, rooms=HISTORY_ROOMS)
        # Who sessions are and the kinds of rooms, for handshakes (chat.realtime.known).
        self.known = Known(
            follows=self.follows, people_group=PEOPLE_GROUP, sessions=KNOWN_SESSIONS,
            rooms=KNOWN_ROOMS, max_age=KNOWN_MAX_AGE,
        )  # fmt: skip

    async def join(self, address: Address, member: Member) -> None:
        """Deliver broadcasts to ``address`` to ``member`` from now on.

        Returns once the process is subscribed, so nothing sent after this is missed.
        """
        async with self._lock(address.group):
            await self._subscribe(address.group)
            members = self.members.setdefault(address.key, set())
            if member not in members:
                members.add(member)
                self.users[address.group] += 1

    async def follow_people(self) -> None:
        """Take every person's notices from now on, for good: a handshake reads who its
        person is before its session follows them, and a notice in between must still
        reach the process (chat.realtime.known), whose people group is then never left."""
        if PEOPLE_GROUP not in self.subscribed:
            async with self._lock(PEOPLE_GROUP):
                await self._subscribe(PEOPLE_GROUP)

    async def _subscribe(self, group: str) -> None:
        if group not in self.subscribed:
            await self.layer.group_add(group, await self._channel())
            self.subscribed.add(group)
            self.known.subscriptions_changed(group, followed=True)

    def leave(self, address: Address, member: Member) -> None:
        """Deliver nothing more to ``member`` (at once: it may be a connection
        that is gone). The process unsubscribes from a group nobody here needs
        any more in the background."""
        members = self.members.get(address.key)
        if members is None or member not in members:
            return
        members.discard(member)
        if not members:
            del self.members[address.key]
        self.users[address.group] -= 1
        if self.users[address.group] <= 0:
            del self.users[address.group]
            if address.group == PEOPLE_GROUP:
                return  # followed for good (follow_people)
            self.history.forget(address.group)  # its broadcasts no longer come here
            self.known.subscriptions_changed(address.group, followed=False)
            task = asyncio.get_running_loop().create_task(self._unsubscribe(address.group))
            self._unsubscribing.add(task)
            task.add_done_callback(self._unsubscribing.discard)

    async def _unsubscribe(self, group: str) -> None:
        async with self._lock(group):
            if self.users[group]:
                return  # someone joined again meanwhile
            self.subscribed.discard(group)
            try:
                await self.layer.group_discard(group, self.channel)
            except LAYER_ERRORS:
                logger.warning("could not unsubscribe from a group")

    def follows(self, group: str) -> bool:
        """Whether this process is subscribed to ``group`` (so its broadcasts come here)."""
        return self.users[group] > 0 or (group == PEOPLE_GROUP and group in self.subscribed)

    async def deliver(self, message: dict) -> int:
        """Hand one broadcast to each local connection at its address, in turn;
        returns how many chat messages were delivered."""
        self.history.take(message)
        self.known.take(message)
        delivered = 0
        for member in tuple(self.members.get(message.get("to"), ())):
            try:
                delivered += await member.group_message(message)
            except Exception:
                logger.exception("a connection failed to take a broadcast")
        return delivered

    def redis_recovered(self) -> None:
        """Redis came back: broadcasts may have been lost while it was away."""
        self.history.clear()
        self.known.clear()

    def _lock(self, group: str) -> asyncio.Lock:
        lock = self._locks.get(group)
        if lock is None:
            lock = self._locks[group] = asyncio.Lock()
        return lock

    async def _channel(self) -> str:
        async with self._channel_lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("hub.")
                self._reader = asyncio.get_running_loop().create_task(self._read())
            return self.channel

    async def _read(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("could not receive from the channel layer")
                await asyncio.sleep(0.5)
                continue
            if delivered := await self.deliver(message):
                metrics.MESSAGES_DELIVERED.inc(delivered)


def hub() -> Hub:
    """This server process's hub."""
    return process().hub
