"""What a handshake reads, kept per process: who a session is, and each room's kind.

A handshake needs the person behind its session cookie (and the rooms of their
sidebar) and the kind of room it asks for. Read from the database, that was most
of a connection's cost; a restart's reconnecting tabs read the same few rows
thousands of times. Here each is read once and kept while the broadcasts that
would say it changed reach this process:

- a person is kept while the process follows the people group (every person's
  notices travel in it), and forgotten at any notice to them that could change
  who they are or what they may read (``chat.access``: their rooms changed;
  ``identity.changed``; ``chat.credentials``: they logged out, or their account
  changed; ``chat.language``: their profile names another language);
- a room's kind (or that no room has the name yet) is kept while the process
  follows the room, and forgotten at a ``chat.access`` broadcast to the whole
  room (it was made, became private or was renamed);
- anything read while the process's subscriptions or any of these changed is
  used by the handshake that read it but not kept, and everything is forgotten
  when Redis comes back (broadcasts may have been lost).

A handshake reads before its session follows the person and the room: a notice
that reaches the process in between goes past the session. ``changed_since``
tells the handshake so (the person or the room had a notice, or the process had
only just begun following people's notices, or Redis came back), and the session
checks again. The process follows people's notices for good from its first
handshake on (``Hub.follow_people``), before that handshake reads anything.

A kept session or room also lasts at most ``max_age`` seconds, so one changed
without a notice (a session expired or removed by hand, rooms restored from an
archive) is read again soon. Both tables are bounded
and drop their least recently used entries.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from chat.identity import Identity
from chat.protocol import events

# The kind kept for a name no room has yet: anyone may read it, and whoever makes it a
# room tells the room's connections (chat.access) if it isn't public.
FREE = "free"

# People and rooms whose latest change is remembered (by changed_since) one by one.
CHANGED_KEPT = 4096

# The broadcasts to a person after which what is kept of them may be wrong.
PERSON_CHANGES = frozenset(
    {events.ACCESS_TYPE, events.IDENTITY_CHANGED_TYPE, events.CREDENTIALS_TYPE,
     events.LANGUAGE_CHANGED_TYPE}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class KnownPerson:
    identity: Identity
    rooms: frozenset[str]  # of their sidebar (empty for guests)
    address: str  # the key of broadcasts to them
    kept_until: float  # time.monotonic()


class Known:
    def __init__(
        self, *, follows: Callable[[str], bool], people_group: str, sessions: int,
        rooms: int, max_age: float, clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.follows = follows  # whether the process is subscribed to a group
        self.people_group = people_group
        self.max_sessions, self.max_rooms, self.max_age = sessions, rooms, max_age
        self.clock = clock
        self._sessions: OrderedDict[str, KnownPerson] = OrderedDict()  # by session key
        self._by_address: dict[str, set[str]] = {}  # a person's kept session keys
        # room group -> (kind, or FREE for a name no room has yet; kept until)
        self._rooms: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self.changes = 0  # anything that could make a read from before it wrong
        # The value of ``changes`` when each person or room last changed, for the latest
        # ``CHANGED_KEPT`` of them; past that (or for every one), ``_all_changed``.
        self._changed: OrderedDict[str, int] = OrderedDict()
        self._all_changed = 0

    # --- reading ----------------------------------------------------------------------

    def person(self, session_key: str) -> KnownPerson | None:
        known = self._sessions.get(session_key)
        if known is None:
            return None
        if self.clock() >= known.kept_until:
            self._forget_session(session_key)
            return None
        self._sessions.move_to_end(session_key)
        return known

    def room_kind(self, group: str) -> str | None:
        """The kind of the room of ``group`` (FREE: no such room yet), if kept."""
        kept = self._rooms.get(group)
        if kept is None:
            return None
        if self.clock() >= kept[1]:
            del self._rooms[group]
            return None
        self._rooms.move_to_end(group)
        return kept[0]

    # --- keeping what was read ------------------------------------------------------------

    def mark(self) -> int:
        """Taken before reading from the database; ``keep_*`` checks it."""
        return self.changes

    def keep_person(self, mark: int, session_key: str, person: KnownPerson) -> None:
        if mark != self.changes or not self.follows(self.people_group):
            return
        self._forget_session(session_key)
        self._sessions[session_key] = person
        self._by_address.setdefault(person.address, set()).add(session_key)
        while len(self._sessions) > self.max_sessions:
            self._forget_session(next(iter(self._sessions)))

    def keep_room(self, mark: int, group: str, kind: str) -> None:
        if mark != self.changes or not self.follows(group):
            return
        self._rooms[group] = (kind, self.clock() + self.max_age)
        self._rooms.move_to_end(group)
        while len(self._rooms) > self.max_rooms:
            self._rooms.popitem(last=False)

    def changed_since(self, mark: int, *keys: str) -> bool:
        """Whether a notice that could change what was read about ``keys`` (a person's
        address, a room's group) reached this process after ``mark``, or the process may
        have missed one (it began following people's notices, or Redis came back)."""
        if self._all_changed > mark:
            return True
        return any(self._changed.get(key, -1) > mark for key in keys)

    def _changed_now(self, key: str) -> None:
        self._changed[key] = self.changes
        self._changed.move_to_end(key)
        if len(self._changed) > CHANGED_KEPT:
            _, oldest = self._changed.popitem(last=False)
            self._all_changed = max(self._all_changed, oldest)

    def person_until(self) -> float:
        """When a person kept now is to be read again at the latest."""
        return self.clock() + self.max_age

    # --- keeping it right ---------------------------------------------------------------

    def take(self, message: dict) -> None:
        """A broadcast reached this process: forget what it may have changed."""
        kind = message["type"]
        if kind not in PERSON_CHANGES:
            return
        to = message.get("to")
        self.changes += 1
        if to is not None:
            self._changed_now(to)
        if to in self._rooms and kind == events.ACCESS_TYPE:
            del self._rooms[to]
        for session_key in list(self._by_address.get(to, ())):
            self._forget_session(session_key)

    def subscriptions_changed(self, group: str, *, followed: bool) -> None:
        """The process subscribed to ``group``, or stopped following it."""
        self.changes += 1
        if followed:
            if group == self.people_group:
                # Any person's notice sent before the subscription took hold never came.
                self._all_changed = self.changes
            return
        self._rooms.pop(group, None)
        if group == self.people_group:
            self._sessions.clear()
            self._by_address.clear()

    def clear(self) -> None:
        """Broadcasts may have been lost (Redis was away)."""
        self.changes += 1
        self._all_changed = self.changes
        self._sessions.clear()
        self._by_address.clear()
        self._rooms.clear()

    def _forget_session(self, session_key: str) -> None:
        known = self._sessions.pop(session_key, None)
        if known is None:
            return
        keys = self._by_address[known.address]
        keys.discard(session_key)
        if not keys:
            del self._by_address[known.address]
