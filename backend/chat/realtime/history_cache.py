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

New messages broadcast while a page is read are added to it once it is read
(those it holds already are skipped), so a busy room's page is kept even though
its messages never stop; a page read while any other broadcast arrived for its
room (or more new messages than a page holds) is used by the connection that read
it but not kept, so a read never overwrites a newer change. At most ``rooms``
pages are kept, the least recently used dropped first.

A page read for a tab returning from further back than a page (after a restart,
say, every tab of a busy room) keeps that longer tail, up to ``tail`` messages,
so the room's other returning tabs are replayed from it too; at most
``tail_rooms`` pages keep a longer tail, the others go back to ``length``.
"""

from collections import OrderedDict
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings

from chat.protocol import events
from chat.rooms import room_group_name
from chat.services.batching import Batcher

Frames = list[tuple[int, str]]  # (seq, encoded message frame), oldest first


# Messages a page read for returning tabs may keep, and how many pages may keep them.
REPLAY_TAIL = 500
REPLAY_TAIL_ROOMS = 20


@dataclass(slots=True)
class _Page:
    frames: Frames
    last: int  # the room's last seq (0: it has no messages)
    keep: int  # how many messages it keeps


class HistoryCache:
    def __init__(
        self, *, length: int, rooms: int, tail: int = REPLAY_TAIL,
        tail_rooms: int = REPLAY_TAIL_ROOMS,
    ) -> None:  # fmt: skip
        self.length = length  # messages per page
        self.rooms = rooms
        self.tail = max(tail, length)
        self.tail_rooms = tail_rooms
        self._pages: OrderedDict[str, _Page] = OrderedDict()  # by room group
        # Per room group being read: broadcasts other than new messages seen meanwhile.
        self._changes: dict[str, int] = {}
        # Per room group being read: the new messages broadcast meanwhile (None: too many).
        self._arrived: dict[str, Frames | None] = {}

    def latest(self, group: str) -> Frames | None:
        """The room's latest page, if kept."""
        page = self._pages.get(group)
        if page is None:
            return None
        self._pages.move_to_end(group)
        return page.frames[-self.length :]  # a copy: the page changes while it is being sent

    def after(self, group: str, seq: int) -> Frames | None:
        """Every message after ``seq``, if the kept page holds all of them."""
        page = self._pages.get(group)
        if page is None or (page.frames and seq < page.frames[0][0] - 1):
            return None
        self._pages.move_to_end(group)
        return [frame for frame in page.frames if frame[0] > seq]

    def read_begins(self, group: str) -> int:
        """A read of the room's page starts: returns the mark ``read_done`` checks."""
        self._arrived.setdefault(group, [])
        return self._changes.setdefault(group, 0)

    def read_done(self, group: str, mark: int, frames: Frames, *, tail: bool = False) -> None:
        """Keep ``frames``, read from the database (the room's latest messages, oldest
        first), with the new messages broadcast meanwhile, unless the room changed
        otherwise. With ``tail``, they were read for returning tabs: keep up to ``tail``
        of them, in place of a shorter page kept meanwhile."""
        arrived = self._arrived.pop(group, None)
        if self._changes.get(group) != mark or arrived is None:
            return
        kept = self._pages.get(group)
        if kept is not None and not tail:
            return
        page = _Page(list(frames), frames[-1][0] if frames else 0, self.length)
        newer = arrived if kept is None else kept.frames  # a kept page took the arrivals
        for seq, text in newer:
            if seq <= page.last:
                continue  # stored before the read: the page has it
            if seq != page.last + 1:
                return  # one is missing (broadcasts out of order): not kept
            page.frames.append((seq, text))
            page.last = seq
        if tail:
            page.keep = min(max(len(page.frames), self.length), self.tail)
        if kept is not None and kept.keep >= page.keep:
            return
        del page.frames[: -page.keep]
        self._pages[group] = page
        self._pages.move_to_end(group)
        while len(self._pages) > self.rooms:
            self._pages.popitem(last=False)
        if page.keep > self.length:
            self._shorten_tails()

    def _shorten_tails(self) -> None:
        """Past ``tail_rooms`` pages with a longer tail, the least recently used go back
        to ``length``."""
        long = [page for page in self._pages.values() if page.keep > self.length]
        for page in long[: -self.tail_rooms]:
            page.keep = self.length
            del page.frames[: -self.length]

    def take(self, message: dict) -> None:
        """A broadcast reached this process: keep the room's page right."""
        group = message.get("to")
        if group in self._arrived:
            self._being_read(group, message)
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
            del page.frames[: -page.keep]
        elif message["type"] == events.GROUP_EVENT_TYPE:
            del self._pages[group]

    def _being_read(self, group: str, message: dict) -> None:
        arrived = self._arrived[group]
        if message["type"] != events.GROUP_MESSAGES_TYPE:
            self._changes[group] += 1
        elif arrived is not None:
            arrived.extend(message["frames"])
            if len(arrived) > self.length:
                self._arrived[group] = None  # more than a page: read again next time

    def forget(self, group: str) -> None:
        """The process no longer follows the room: its page could go stale."""
        self._pages.pop(group, None)
        self._changes.pop(group, None)
        self._arrived.pop(group, None)

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
        latest, tails, found = await database_sync_to_async(_read_rooms)(items, self.cache.length)
        for room_name, group in groups.items():
            if room_name in tails:
                self.cache.read_done(group, marks[room_name], tails[room_name], tail=True)
            else:
                self.cache.read_done(group, marks[room_name], latest[room_name])
        return found


def _read_rooms(
    items: list[tuple[str, int | None]], length: int
) -> tuple[dict[str, Frames], dict[str, Frames], list[tuple[Frames, bool]]]:
    """For each room of ``items``: its latest page of ``length`` messages and, for
    returning tabs, its tail (every message from a page before the oldest seq asked for
    to the room's last, when that isn't more than ``CHAT_REPLAY_MAX``: one read for
    both); and for each (room, after) what ``HistoryReads`` answers."""
    from chat import selectors  # selectors import models, which import the protocol

    def encoded(messages) -> Frames:
        return [(m.seq, events.event_encode(events.message_event(m))) for m in messages]

    latest: dict[str, Frames] = {}
    further: dict[str, tuple[Frames, bool]] = {}
    tails: dict[str, Frames] = {}
    for room_name in dict.fromkeys(room_name for room_name, _ in items):
        afters = [after for name, after in items if name == room_name and after is not None]
        if afters:
            start = max(min(afters) - length, 0)
            messages, more = selectors.room_messages_after(
                room_name=room_name, after=start, limit=settings.CHAT_REPLAY_MAX
            )
            further[room_name] = (encoded(messages), more)
            if not more and (len(messages) >= length or start == 0):
                tails[room_name] = further[room_name][0]  # it ends with the latest page
                latest[room_name] = tails[room_name][-length:]
                continue
        latest[room_name] = encoded(selectors.room_history(room_name=room_name))
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
    return latest, tails, found


def _covers(page: Frames, after: int) -> bool:
    """Whether the latest ``page`` holds every message after ``after``."""
    return not page or page[0][0] <= after + 1
