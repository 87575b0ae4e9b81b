"""The latest history page of each room this process serves, as ready-made frames.

A new connection is sent its room's latest messages. Read from the database and
encoded for every connection, that page was most of a handshake's cost; here it
is read and encoded once per room and then kept right by the broadcasts the
process receives anyway (the hub hands each one to ``take`` before its
connections see it):

- a room's new messages are appended when they follow the last one kept;
  anything else (a gap, as broadcasts from several processes may arrive out of
  order) drops the room's page, and the next handshake reads it again;
- any other event of the room (an edit, a deletion, reactions) drops the page;
- a page is only kept while the process is subscribed to the room (so no
  broadcast can be missed), and all are dropped when Redis comes back from an
  outage (broadcasts may have been lost).

A page read while broadcasts arrived for its room is used by the connection
that read it but not kept, so a read never overwrites a newer change. At most
``rooms`` pages are kept, the least recently used dropped first.
"""

from collections import OrderedDict
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings

from chat.protocol import events
from chat.rooms import room_group_name
from chat.services.batching import Batcher

Frames = list[tuple[int, str]]  # (seq, encoded message frame), oldest first


@dataclass(slots=True)
class _Page:
    frames: Frames
    last: int  # the room's last seq (0: it has no messages)


class HistoryCache:
    def __init__(self, *, length: int, rooms: int) -> None:
        self.length = length  # messages per page
        self.rooms = rooms
        self._pages: OrderedDict[str, _Page] = OrderedDict()  # by room group
        self._changes: dict[str, int] = {}  # broadcasts seen per room group, while reading

    def latest(self, group: str) -> Frames | None:
        """The room's latest page, if kept."""
        page = self._pages.get(group)
        if page is None:
            return None
        self._pages.move_to_end(group)
        return list(page.frames)  # a copy: the page changes while it is being sent

    def after(self, group: str, seq: int) -> Frames | None:
        """Every message after ``seq``, if the kept page holds all of them."""
        page = self._pages.get(group)
        if page is None or (page.frames and seq < page.frames[0][0] - 1):
            return None
        self._pages.move_to_end(group)
        return [frame for frame in page.frames if frame[0] > seq]

    def read_begins(self, group: str) -> int:
        """A read of the room's page starts: returns the mark ``read_done`` checks."""
        return self._changes.setdefault(group, 0)

    def read_done(self, group: str, mark: int, frames: Frames) -> None:
        """Keep ``frames``, read from the database, unless the room changed meanwhile."""
        if self._changes.get(group) != mark or group in self._pages:
            return
        last = frames[-1][0] if frames else 0
        self._pages[group] = _Page(list(frames[-self.length :]), last)
        while len(self._pages) > self.rooms:
            self._pages.popitem(last=False)

    def take(self, message: dict) -> None:
        """A broadcast reached this process: keep the room's page right."""
        group = message.get("to")
        if group in self._changes:
            self._changes[group] += 1
        page = self._pages.get(group)
        if page is None:
            return
        if message["type"] == events.GROUP_MESSAGES_TYPE:
            for seq, text in message["frames"]:
                if seq <= page.last:
                    continue  # already kept (read after it was stored)
                if seq != page.last + 1:
                    del self._pages[group]
                    return
                page.frames.append((seq, text))
                page.last = seq
            del page.frames[: -self.length]
        elif message["type"] == events.GROUP_EVENT_TYPE:
            del self._pages[group]

    def forget(self, group: str) -> None:
        """The process no longer follows the room: its page could go stale."""
        self._pages.pop(group, None)
        self._changes.pop(group, None)

    def clear(self) -> None:
        """Broadcasts may have been lost (Redis was away)."""
        self._pages.clear()
        for group in self._changes:
            self._changes[group] += 1


class HistoryReads(Batcher):
    """The handshakes' reads of rooms' messages from the database, together.

    A connection asks once it is subscribed to its room (so a message stored after
    the read began reaches it as a broadcast). While one batch is read, the
    handshakes that ask meanwhile wait for the next, which reads each of its rooms'
    latest page once (and, for tabs returning from further back, the messages after
    the oldest of them once): a restart's hundreds of returning tabs cost a read per
    room, not one each. What is read is kept in ``cache`` unless the room changed
    meanwhile."""

    def __init__(self, cache: HistoryCache) -> None:
        super().__init__(self._read)
        self.cache = cache

    async def latest(self, room_name: str) -> Frames:
        """The room's latest page."""
        frames, _ = await self.submit((room_name, None))
        return frames

    async def after(self, room_name: str, seq: int) -> tuple[Frames, bool]:
        """The messages after ``seq`` (up to ``CHAT_REPLAY_MAX``), and whether that is all
        of them (False: read on from the last one)."""
        return await self.submit((room_name, seq))

    async def _read(self, items: list[tuple[str, int | None]]) -> list[tuple[Frames, bool]]:
        groups = {room_name: room_group_name(room_name) for room_name, _ in items}
        marks = {room_name: self.cache.read_begins(group) for room_name, group in groups.items()}
        latest, found = await database_sync_to_async(_read_rooms)(items)
        for room_name, group in groups.items():
            self.cache.read_done(group, marks[room_name], latest[room_name])
        return found


def _read_rooms(
    items: list[tuple[str, int | None]],
) -> tuple[dict[str, Frames], list[tuple[Frames, bool]]]:
    """Each room's latest page, and for each (room, after) what ``HistoryReads`` answers."""
    from chat import selectors  # selectors import models, which import the protocol

    def encoded(messages) -> Frames:
        return [(m.seq, events.event_encode(events.message_event(m))) for m in messages]

    latest = {room_name: encoded(selectors.room_history(room_name=room_name))
              for room_name in dict.fromkeys(room_name for room_name, _ in items)}  # fmt: skip
    further: dict[str, tuple[Frames, bool]] = {}
    for room_name in latest:
        uncovered = [after for name, after in items
                     if name == room_name and after is not None
                     and not _covers(latest[room_name], after)]  # fmt: skip
        if uncovered:
            messages, more = selectors.room_messages_after(
                room_name=room_name, after=min(uncovered), limit=settings.CHAT_REPLAY_MAX
            )
            further[room_name] = (encoded(messages), more)
    found = []
    for room_name, after in items:
        page = latest[room_name]
        if after is None:
            found.append((page, True))
        elif _covers(page, after):
            found.append(([frame for frame in page if frame[0] > after], True))
        else:
            frames, more = further[room_name]
            found.append(([frame for frame in frames if frame[0] > after], not more))
    return latest, found


def _covers(page: Frames, after: int) -> bool:
    """Whether the latest ``page`` holds every message after ``after``."""
    return not page or page[0][0] <= after + 1
