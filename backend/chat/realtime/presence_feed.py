"""One connection's presence frames, sent in the order of their versions."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from chat.identity import Identity
from chat.protocol import events
from chat.services.presence import presence, presence_join, presence_snapshot

logger = logging.getLogger(__name__)

GAP_WAIT = 1.0  # how long a connection waits for a missing change before a new snapshot
PENDING_MAX = 256  # changes a connection holds back while it waits


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

    async def offer_many(
        self, version: int, changes: list[tuple[int, str]], text: str | None = None
    ) -> None:
        """Changes broadcast together (their versions in order), the last at ``version``;
        ``text``, their frame as one, for a connection that has everything before them."""
        self.known = max(self.known, version)
        if self.version is not None and version <= self.version:
            return
        if text is not None and self._in_step_with(changes, version):
            # The broadcast's own frame: one text for all such connections of the process.
            self.version = version
            await self.send(text)
            return
        for change_version, text in changes:
            self.pending[change_version] = text
        if len(self.pending) > PENDING_MAX:
            self.pending.clear()  # a snapshot will do instead
        async with self.lock:
            await self._flush()

    def _in_step_with(self, changes: list[tuple[int, str]], version: int) -> bool:
        """Whether ``changes`` are exactly the versions after the last one sent, up to
        ``version``, with nothing held back, waiting or known beyond them."""
        return (
            self.version is not None
            and not self.pending
            and not self.lock.locked()
            and self.known == version
            and bool(changes)
            and changes[0][0] == self.version + 1
            and version - self.version == len(changes)
        )

    async def snapshot(self, event: events.PresenceEvent) -> None:
        """Send a snapshot, unless the connection was sent its version or a later one."""
        async with self.lock:
            self.known = max(self.known, event["v"])
            if self.version is not None and event["v"] <= self.version:
                return  # the connection has this version, or a later one
            self.version = event["v"]
            await self.send(events.event_text(event))
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
        if not self.pending:
            # An emptied dict keeps the table it grew to (kilobytes once a room filled
            # up); clear() lets it go, as an idle connection holds it for hours.
            self.pending.clear()
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
