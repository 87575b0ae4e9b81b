"""What one connection has been sent and is owed: a chat session.

A session sends a new connection its identity, the room's history (or what it
missed, after ``?after=``), then the broadcasts that came meanwhile, and
registers its person as present. From then on the hub hands it each
broadcast (``group_message``); ``delivered`` records which message seqs it
has been sent, so a message it already got from history or a replay is not
sent twice, and one that arrives out of order is still sent once. When Redis
comes back after an outage, it catches up from the database.

A signed-in person's session also passes on activity in the rooms of their
sidebar (``rooms``), and checks again whether they may read its room when the
members of the room change (closing with 4403 if not): once per change, never
per message.

Everything goes out through ``send``, one text frame at a time, so a session
can be tested with a list standing in for the connection. A replay is read
from the database a page at a time, the next page once the client has read
enough (``drained``), so a client that asks for much and reads nothing holds
little.
"""

import asyncio
import dataclasses
import datetime
import logging
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.mfa import MFA_REQUIRED
from chat import selectors
from chat.access import ROOM_GONE, Forbidden, RoomGone, room_access
from chat.identity import Face, Identity
from chat.process import detach, process
from chat.protocol import events
from chat.protocol.frames import FrameError, seq_parse
from chat.realtime.admission import MfaMissing, credential_identity
from chat.realtime.hub import hub
from chat.realtime.presence_feed import PresenceFeed
from chat.rooms import public_person_id
from chat.services import ActionRefused
from chat.services.broadcast import (
    LAYER_ERRORS,
    activity_address,
    person_address,
    room_address,
)
from chat.services.people import session_digest
from chat.services.presence import (
    presence_leave,
    presence_rename,
    presence_restore,
)
from observability import metrics
from people.languages import HandshakeLanguage, text_in

logger = logging.getLogger(__name__)

# After Redis comes back, catch up now and again a little later: the channel
# layer re-subscribes to rooms on its own schedule (within about a second).
CATCH_UP_DELAYS = (0.0, 1.5, 4.0)
# Messages read from the database at once for a replay.
REPLAY_PAGE = 100


def _moment(text: str | None) -> datetime.datetime | None:
    return None if text is None else datetime.datetime.fromisoformat(text)


async def _always_drained() -> bool:
    return True


_NONE_ABOVE: frozenset[int] = frozenset()


class Delivered:
    """The message seqs a connection has been sent: every one up to ``through``,
    and the few above it that arrived early (broadcasts from several server
    processes can arrive out of order)."""

    __slots__ = ("through", "above")

    def __init__(self) -> None:
        self.through = 0
        # A set only while some arrived early: an empty set is 200-odd bytes, for hours.
        self.above: set[int] | frozenset[int] = _NONE_ABOVE

    def start_after(self, seq: int) -> None:
        """Nothing up to ``seq`` is owed to this connection (it has it, or didn't ask)."""
        self.through = max(self.through, seq)
        self.above = {above for above in self.above if above > self.through} or _NONE_ABOVE
        self._settle()

    def has(self, seq: int) -> bool:
        return seq <= self.through or seq in self.above

    def add(self, seq: int) -> None:
        if seq == self.through + 1 and not self.above:
            self.through = seq  # the usual case: the next one, none early
        elif seq > self.through:
            if self.above is _NONE_ABOVE:
                self.above = set()
            self.above.add(seq)
            self._settle()

    @property
    def highest(self) -> int:
        return max(self.above, default=self.through)

    def _settle(self) -> None:
        while self.through + 1 in self.above:
            self.through += 1
            self.above.discard(self.through)
        if not self.above:
            self.above = _NONE_ABOVE


class Session:
    __slots__ = (
        "room_name",
        "identity",
        "send",
        "drained",
        "delivered",
        "held",
        "catch_up_due",
        "present",
        "presence_feed",
        "joined",
        "background",
        "rooms",
        "forbid",
        "credential",
        "sign_out",
        "existing_room",
        "language",
        "__weakref__",
    )

    def __init__(
        self,
        room_name: str,
        identity: Identity,
        send: Callable[[str], Awaitable[None]],
        drained: Callable[[], Awaitable[bool]] = _always_drained,
        *,
        rooms: frozenset[str] = frozenset(),
        forbid: Callable[[], Awaitable[None]] | None = None,
        credential: tuple[str, str] | None = None,
        sign_out: Callable[[], Awaitable[None]] | None = None,
        existing_room: bool = False,
        language: HandshakeLanguage | None = None,
    ) -> None:
        self.room_name = room_name
        self.identity = identity
        self.send = send  # sends one text frame to the connection
        # Waits until the client has read enough for more to be sent; False: it is gone.
        self.drained = drained
        self.delivered = Delivered()
        # Broadcasts that came while history was being sent; None once it was.
        self.held: list[dict] | None = []
        self.catch_up_due = False
        self.present = False  # registered in the room's presence
        self.presence_feed = PresenceFeed(room_name, send)  # presence frames, in order
        self.joined: tuple = ()  # hub addresses
        # Made when first needed: an idle connection should cost little memory.
        self.background: set[asyncio.Task] | tuple = ()
        self.rooms = rooms  # of the person's sidebar, whose activity is passed on
        self.forbid = forbid  # closes the connection with 4403
        # What signed the person in, checked again when they are told it may have changed.
        self.credential = credential
        self.sign_out = sign_out  # closes the connection with 4401
        # The room existed when the connection opened: if its name is free now (renamed
        # or deleted), the connection is closed, and its posts never make a new room.
        self.existing_room = existing_room
        # The language of error details when the person's profile names none: the
        # handshake's (its cookie and Accept-Language), read at the first error.
        self.language = language

    @property
    def log(self) -> logging.LoggerAdapter:
        """A logger naming the room and the connection (made when something is logged:
        an idle connection shouldn't carry one)."""
        return logging.LoggerAdapter(
            logger, {"room": self.room_name, "connection": f"{id(self):x}"}
        )

    @property
    def person_id(self) -> str:
        return public_person_id(self.identity.key)

    # --- opening and closing --------------------------------------------------------

    async def open(self) -> None:
        """Take broadcasts to the room and to this person from now on; raises one of
        LAYER_ERRORS when Redis is unreachable."""
        addresses = [room_address(self.room_name), person_address(self.identity.key)]
        addresses += [activity_address(room) for room in self.rooms]
        for address in addresses:
            await hub().join(address, self)
            self.joined += (address,)
        process().redis_watch.add(self)

    async def start(
        self, after: str | None, *, recheck: bool = False, presence: bool = True
    ) -> bool:
        """Send the identity, the history (or the messages after ``after``, the query's
        text), the broadcasts held meanwhile, then (with ``presence``; else the caller
        does, with ``join_presence``) who is here. With ``recheck``, first check access
        again: it may have changed before the session was subscribed (False: it refused,
        and the connection is being closed)."""
        if recheck and not await self._recheck():
            return False
        await self.send_event(self._identity_event())
        replayed = False
        if after is not None:
            try:
                seq = seq_parse(after, field="after")
            except FrameError as exc:
                await self.send_error(exc)  # and the history instead
            else:
                self.delivered.start_after(seq)
                await self.replay_after(seq, cached=True)
                replayed = True
        if not replayed:
            await self._send_history()
        await self._release_held()
        if presence:
            await self.join_presence()
        return True

    async def join_presence(self) -> None:
        """Register the person as present in the room, and send who is here."""
        self.present = True
        try:
            await self.presence_feed.join(self.identity)
        except LAYER_ERRORS:
            self.log.warning("presence unavailable")

    async def leave(self) -> None:
        """The connection closed: the room sees this person leave (if it was their last)."""
        if self.present:
            self.present = False
            try:
                await presence_leave(self.room_name, self.identity)
            except LAYER_ERRORS:
                self.log.warning("could not record a leave")

    def close(self) -> None:
        """Let go of what this session holds in the process; safe to repeat."""
        for address in self.joined:
            hub().leave(address, self)
        self.joined = ()
        self.held = None
        for task in self.background:
            task.cancel()
        self.presence_feed.close()
        if self.present:
            # The connection failed without a disconnect: still tell the room.
            detach(self.leave())
        process().redis_watch.discard(self)

    # --- broadcasts, from the hub ---------------------------------------------------

    async def group_message(self, message: dict) -> int:
        """A broadcast to the room or to this person; returns how many messages it delivered.

        The hub hands each broadcast to every connection in turn, so this only
        sends; anything slower runs in the background.
        """
        if self.held is not None:
            self.held.append(message)
            return 0
        return await self._take(message)

    async def _take(self, message: dict) -> int:
        match message["type"]:
            case events.GROUP_MESSAGES_TYPE:
                sent = 0
                for seq, text in message["frames"]:
                    sent += await self.send_message_frame(seq, text)
                return sent
            case events.GROUP_EVENT_TYPE:
                await self.send(message["text"])
            case events.PRESENCE_TYPE:
                if "changes" in message:
                    await self.presence_feed.offer_many(
                        message["v"], message["changes"], message.get("text")
                    )
                else:
                    await self.presence_feed.offer(message["v"], message.get("text"))
            case events.TYPING_TYPE:
                # Never shown to the typist's own tabs.
                if message["from"] != self.person_id:
                    await self.send(message["text"])
            case events.IDENTITY_CHANGED_TYPE:
                self._in_background(self._identity_changed(message["name"]))
            case events.PROFILE_CHANGED_TYPE:
                self._in_background(self._face_changed(message["face"]))
            case events.LANGUAGE_CHANGED_TYPE:
                self.identity = dataclasses.replace(self.identity, language=message["language"])
            case events.CREDENTIALS_TYPE if self.credential is not None:
                self._in_background(
                    self._credentials_check(message.get("session"), message.get("deactivated"))
                )
            case events.ACTIVITY_TYPE if message["room"] in self.rooms:  # joined or leaving
                await self.send_event(self._activity_event(message))
            case events.ACCESS_TYPE:
                own_room = message["room"] == self.room_name
                if own_room:
                    self.held = []  # nothing of the room goes out until the check
                self._in_background(self._access_changed(own_room=own_room))
        return 0

    def _activity_event(self, message: dict) -> events.ActivityEvent:
        return events.activity_event(
            message["room"], message["seq"], author=message["from"], text=message["text"],
            mention=self.identity.user_id in message["mentions"], dm=message["dm"],
        )  # fmt: skip

    async def _access_changed(self, *, own_room: bool) -> None:
        """Who may read a room changed (the person's membership, or the room): check
        again whether they may read this connection's room (``own_room``; its broadcasts
        are held meanwhile), and follow and tell the page the rooms of its sidebar if
        they changed."""
        if not await self._recheck(own_room=own_room):
            return
        if own_room:
            await self._release_held()

    async def _recheck(self, *, own_room: bool = True) -> bool:
        """Check again whether the person may read this room (``own_room``), and follow
        the rooms of their sidebar as they are now, telling the page if they changed;
        False if the connection is being closed."""
        rooms = await self._access_check(own_room=own_room)
        if rooms is None:
            return False
        if rooms != self.rooms:
            await self._follow(rooms)
            await self.send_event(events.ROOMS_EVENT)
        return True

    async def _access_check(self, *, own_room: bool) -> frozenset[str] | None:
        """The rooms of the person's sidebar, read again; None, after closing the
        connection with 4403, if (``own_room``) they may no longer read this room, or it
        is gone (``room_gone``: its name is free now)."""
        user_id = self.identity.user_id
        try:
            if own_room:
                access = await database_sync_to_async(room_access)(
                    room_name=self.room_name, user_id=user_id
                )
                if self.existing_room and access.room is None:
                    raise RoomGone(ROOM_GONE)
        except Forbidden as exc:
            self.log.info("closing: not allowed in the room")
            self.held = None  # nothing more goes out
            await self.send_event(events.error_event(exc.code, exc.detail))
            if self.forbid is not None:
                await self.forbid()
            return None
        if user_id is None:
            return self.rooms
        return await database_sync_to_async(selectors.person_room_names)(user_id=user_id)

    async def _follow(self, rooms: frozenset[str]) -> None:
        """Take the activity of ``rooms`` from now on, and no other."""
        for room in self.rooms - rooms:
            address = activity_address(room)
            hub().leave(address, self)
            self.joined = tuple(joined for joined in self.joined if joined != address)
        gained, self.rooms = rooms - self.rooms, rooms
        try:
            for room in gained:
                await hub().join(activity_address(room), self)
                self.joined += (activity_address(room),)
        except LAYER_ERRORS:
            self.log.warning("could not follow the activity of a new room")

    async def _release_held(self) -> None:
        while self.held:
            message = self.held.pop(0)
            if message["type"] == events.ACCESS_TYPE and message["room"] == self.room_name:
                # The rest stays held until this access check releases it.
                self._in_background(self._access_changed(own_room=True))
                return
            await self._take(message)
        self.held = None
        if self.catch_up_due:
            self.catch_up_due = False
            self._in_background(self._catch_up())

    async def _identity_changed(self, name: str) -> None:
        """This person took a new display name in some tab."""
        self.identity = dataclasses.replace(self.identity, name=name)
        await self.send_event(self._identity_event())
        try:
            await presence_rename(self.room_name, self.identity)
        except LAYER_ERRORS:
            self.log.warning("could not announce a new name")

    async def _face_changed(self, face: dict) -> None:
        """This person changed their display name, status or Do Not Disturb: show it in
        this room's presence (each change once per connection, never per message)."""
        status = face.get("status") or {}
        self.identity = dataclasses.replace(
            self.identity,
            face=Face(
                face.get("name", ""), status.get("emoji", ""), status.get("text", ""),
                _moment(status.get("expires_at")), _moment(face.get("dnd_until")),
            ),
        )  # fmt: skip
        await self.send_event(self._identity_event())
        try:
            await presence_rename(self.room_name, self.identity)
        except LAYER_ERRORS:
            self.log.warning("could not announce a new face")

    async def _credentials_check(self, ended_session: str | None, deactivated: bool) -> None:
        """The person logged out somewhere, a token was revoked or the account changed
        (``deactivated``: made inactive): close (4401) unless this connection's
        credential still signs the same person in; take on what changed (staff, say) if
        it does."""
        kind, secret = self.credential
        error = events.error_event(
            "signed_out", _("You were signed out (or your token was revoked); sign in again.")
        )
        if deactivated:
            error = events.error_event(
                "deactivated", _("Your account was deactivated by an admin of this chat.")
            )
        if kind == "session" and ended_session == session_digest(secret):
            identity = None  # logged out (the notice comes before the session is removed)
        else:
            try:
                identity = await database_sync_to_async(credential_identity)(self.credential)
            except MfaMissing:  # their last second factor removed, while one is required
                identity, error = None, events.error_event("mfa_required", MFA_REQUIRED)
        if identity is None or identity.key != self.identity.key:
            self.log.info("closing: the connection's credential no longer signs them in")
            self.held = None  # nothing more goes out
            await self.send_event(error)
            if self.sign_out is not None:
                await self.sign_out()
            return
        if identity != self.identity:  # staff given or taken, say
            self.identity = identity
            await self.send_event(self._identity_event())

    def redis_recovered(self) -> None:
        """Redis restarted or came back: replay what its outage kept from us."""
        if self.held is not None:
            self.catch_up_due = True  # once history is sent; it may be under way
            return
        self._in_background(self._catch_up())

    def _in_background(self, work) -> None:
        task = asyncio.get_running_loop().create_task(work)
        if not self.background:
            self.background = set()
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    # --- history, replays and catching up ---------------------------------------------

    # A seq is recorded as delivered before its frame is sent, so a broadcast
    # and a replay that overlap never send the same message twice.

    async def send_message_frame(self, seq: int, text: str) -> bool:
        """Send a message's encoded frame unless this connection has it."""
        if self.delivered.has(seq):
            return False
        self.delivered.add(seq)
        await self.send(text)
        return True

    async def _send_messages(self, messages, *, skip_sent: bool = False) -> int:
        sent = 0
        for message in messages:
            if skip_sent and self.delivered.has(message.seq):
                continue
            self.delivered.add(message.seq)
            await self.send_event(events.message_event(message))
            sent += 1
        metrics.MESSAGES_DELIVERED.inc(sent)
        return sent

    async def _send_history(self) -> None:
        """The room's latest messages (from the process's cache, else read with the other
        handshakes' and kept)."""
        frames = hub().history.latest(room_address(self.room_name).group)
        if frames is None:
            frames = await process().history_reads.latest(self.room_name)
        await self._send_frames(frames)
        self.delivered.start_after(frames[-1][0] if frames else 0)
        await self.send_event(events.ready_event(self.delivered.highest))

    async def _send_frames(self, frames) -> int:
        sent = 0
        for seq, text in frames:
            self.delivered.add(seq)
            await self.send(text)
            sent += 1
        metrics.MESSAGES_DELIVERED.inc(sent)
        return sent

    async def replay_after(self, after: int, *, wait: float = 0.0, cached: bool = False) -> int:
        """After ``wait`` seconds, send the messages after seq ``after`` (up to
        CHAT_REPLAY_MAX), a page at a time as the client reads, then ``ready``. With
        ``cached`` (a returning tab's handshake), from the process's latest page when it
        holds them all, else read together with the other handshakes' (``HistoryReads``);
        an explicit ``resume`` (the page saw a gap) reads the database on its own. Returns
        how many messages it sent."""
        if wait:
            await asyncio.sleep(wait)
        metrics.RESUMES.inc()
        last_seq, left, more = after, settings.CHAT_REPLAY_MAX, True
        replayed = 0
        if cached:  # from the process's latest page, else read with other handshakes'
            frames = hub().history.after(room_address(self.room_name).group, after)
            complete = True
            if frames is None:
                frames, complete = await process().history_reads.after(self.room_name, after)
            if len(frames) > left:
                frames, complete = frames[:left], False
            for start in range(0, len(frames), REPLAY_PAGE):
                if start and not await self.drained():
                    return replayed  # the client is gone, or cut off for not reading
                sent = await self._send_frames(frames[start : start + REPLAY_PAGE])
                metrics.REPLAYED.inc(sent)
                replayed += sent
            if frames:
                last_seq, left = frames[-1][0], left - len(frames)
            more = not complete
            if not more or not left:
                ready = events.ready_event(max(last_seq, self.delivered.highest), truncated=more)
                await self.send_event(ready)
                return replayed
        while more and left:
            messages, more = await database_sync_to_async(selectors.room_messages_after)(
                room_name=self.room_name, after=last_seq, limit=min(REPLAY_PAGE, left)
            )
            sent = await self._send_messages(messages)
            metrics.REPLAYED.inc(sent)
            replayed += sent
            if messages:
                last_seq, left = messages[-1].seq, left - len(messages)
            if more and not await self.drained():
                return replayed  # the client is gone, or cut off for not reading
        ready = events.ready_event(max(last_seq, self.delivered.highest), truncated=more)
        await self.send_event(ready)
        return replayed

    async def _catch_up(self) -> None:
        # Members may have changed while Redis, which tells connections so, was away: of
        # this room, and of the rooms whose activity is passed on.
        if not await self._recheck():
            return
        for delay in CATCH_UP_DELAYS:
            await asyncio.sleep(delay)
            messages, _ = await database_sync_to_async(selectors.room_messages_after)(
                room_name=self.room_name,
                after=self.delivered.through,
                limit=settings.CHAT_REPLAY_MAX,
            )
            metrics.REPLAYED.inc(await self._send_messages(messages, skip_sent=True))
        # Redis may have lost who is here; re-register and resend the list.
        try:
            await self.presence_feed.snapshot(await presence_restore(self.room_name))
        except LAYER_ERRORS:
            self.log.warning("presence not restored after Redis came back")

    # --- frames to the connection -------------------------------------------------------

    def _identity_event(self) -> events.IdentityEvent:
        return events.identity_event(
            self.person_id,
            self.identity.name,
            guest=self.identity.is_guest,
            staff=self.identity.is_staff,
            face=self.identity.face.public(),
        )

    async def send_event(self, event: events.ServerEvent) -> None:
        if event["type"] == "error":
            event = {**event, "detail": text_in(event["detail"], self.language_now())}
        await self.send(events.event_encode(event))

    def language_now(self) -> str:
        """The language this connection's person reads: their profile's, else the
        handshake's, else LANGUAGE_CODE."""
        if self.language is None:
            return self.identity.language or settings.LANGUAGE_CODE
        return self.language.of(self.identity.language)

    async def send_error(self, error: FrameError | ActionRefused, nonce: str | None = None) -> None:
        metrics.ERRORS.labels(code=error.code).inc()
        retry_after = getattr(error, "retry_after", None)
        if nonce is None:  # a refused message frame names its own nonce
            nonce = getattr(error, "nonce", None)
        await self.send_event(
            events.error_event(
                error.code, error.detail, retry_after, nonce, getattr(error, "extra", None)
            )
        )
