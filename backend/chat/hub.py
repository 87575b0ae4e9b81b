"""The process's one member of the channel layer: it fans broadcasts out to local connections.

channels-redis' pub/sub layer subscribes to a group once per process, but then
queues each broadcast once per member, and every member's consumer task wakes,
decodes it and dispatches it. The hub instead joins each group once, receives
each broadcast once, and hands that one decoded message, with its one encoded
frame, to every local connection of the group in turn. Per broadcast, the work
per connection is a check and a write.

Broadcasts go out through :func:`group_send`, which names the group in the
message so the hub knows whose it is.
"""

import asyncio
import logging
import weakref
from typing import Protocol

from channels.layers import get_channel_layer
from observability import metrics

logger = logging.getLogger(__name__)


class Member(Protocol):
    async def group_message(self, message: dict) -> int:
        """Handle a broadcast without waiting on anything but sending; returns how
        many chat messages it delivered."""


async def group_send(group: str, message: dict) -> None:
    """Broadcast ``message`` to every connection in ``group``, in every process."""
    await get_channel_layer().group_send(group, {**message, "group": group})


class Hub:
    def __init__(self, layer) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, set[Member]] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._channel_lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None

    async def join(self, group: str, member: Member) -> None:
        """Deliver ``group``'s broadcasts to ``member`` from now on.

        Returns once the process is subscribed, so nothing sent after this is missed.
        """
        async with self._lock(group):
            if group not in self.members:
                await self.layer.group_add(group, await self._channel())
                self.members[group] = set()
            self.members[group].add(member)

    async def leave(self, group: str, member: Member) -> None:
        async with self._lock(group):
            members = self.members.get(group)
            if members is None or member not in members:
                return
            members.discard(member)
            if not members:
                del self.members[group]
                await self.layer.group_discard(group, self.channel)

    async def deliver(self, message: dict) -> int:
        """Hand one broadcast to each local member of its group, in turn; returns how
        many chat messages were delivered."""
        delivered = 0
        for member in tuple(self.members.get(message.get("group"), ())):
            try:
                delivered += await member.group_message(message)
            except Exception:
                logger.exception("a connection failed to take a broadcast")
        return delivered

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


_hubs: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub]" = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub(get_channel_layer())
    return _hubs[loop]
