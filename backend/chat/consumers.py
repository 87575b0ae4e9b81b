"""WebSocket consumers: connection work only; what the chat does is in services."""

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections import deque
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from observability import metrics

from chat import selectors, services
from chat.hub import Address, hub, person_address, room_address, send_to
from chat.identity import identity_of_handshake
from chat.presence import announce, person_public, presence
from chat.protocol import CloseCode, events, frames
from chat.protocol.frames import BINARY_FRAME_ERROR, FrameError, frame_parse, seq_parse
from chat.ratelimit import (
    bucket_new,
    connections_per_ip,
    connections_per_person,
    person_buckets,
    take_from_all,
)
from chat.redis_watch import redis_watch
from chat.rooms import (
    InvalidRoomName,
    public_person_id,
    room_name_clean,
)

logger = logging.getLogger(__name__)

# Work that outlives its connection (answering a post, telling a room that a
# failed connection left).
_detached: set[asyncio.Task] = set()


def _detach(work) -> None:
    """Run ``work`` to its end, even if its connection goes away first."""
    task = asyncio.get_running_loop().create_task(work)
    _detached.add(task)
    task.add_done_callback(_detached.discard)


# After Redis comes back, catch up now and again a little later: the channel
# layer re-subscribes to rooms on its own schedule (within about a second).
CATCH_UP_DELAYS = (0.0, 1.5, 4.0)
# A connection that keeps flooding after being told to slow down is closed.
ABUSE_WINDOW = 10.0
TYPING_MIN_INTERVAL = 1.0
# How long a refused message keeps its place at the head of the line.
HOLD_ORDER_FOR = 30.0
# Messages of one connection being stored at once; past this, its next
# frame waits.
MAX_POSTS_IN_FLIGHT = 64


class Delivered:
    """The message seqs a connection has been sent: every one up to ``through``,
    and the few above it that arrived early (broadcasts from several server
    processes can arrive out of order)."""

    __slots__ = ("through", "above")

    def __init__(self) -> None:
        self.through = 0
        self.above: set[int] = set()

    def start_after(self, seq: int) -> None:
        """Nothing up to ``seq`` is owed to this connection (it has it, or didn't ask)."""
        self.through = max(self.through, seq)
        self.above = {above for above in self.above if above > self.through}
        self._settle()

    def has(self, seq: int) -> bool:
        return seq <= self.through or seq in self.above

    def add(self, seq: int) -> None:
        if seq > self.through:
            self.above.add(seq)
            self._settle()

    @property
    def highest(self) -> int:
        return max(self.above, default=self.through)

    def _settle(self) -> None:
        while self.through + 1 in self.above:
            self.through += 1
            self.above.discard(self.through)


class ChatConsumer(AsyncWebsocketConsumer):
    """One browser tab in one room.

    Broadcasts reach it through the process's hub (chat.hub), not through a
    channel of its own: ``group_message`` is called for each. Until its
    history is sent they are held, so the page gets history first.

    ``delivered`` records which message seqs this connection has been sent, so
    a live broadcast it already got from history is not sent twice, and one
    that arrives out of order is still sent once.
    """

    room_name: str | None = None
    joined: tuple[Address, ...] = ()
    counted: tuple[tuple, ...] = ()
    held: list[dict] | None = None
    # Made when first needed: most connections never need them, and an idle
    # connection should cost little memory.
    background: "set[asyncio.Task] | tuple" = ()
    posts_in_flight: asyncio.Semaphore | None = None
    posting: "set[asyncio.Task] | tuple" = ()
    refusals: deque[float] | None = None
    catch_up_due = False
    is_open = False  # accepted, and counted in the metrics
    present = False  # registered in the room's presence

    @functools.cached_property
    def log(self) -> logging.LoggerAdapter:
        return logging.LoggerAdapter(
            logger, {"room": self.room_name, "connection": f"{id(self):x}"}
        )

    async def __call__(self, scope, receive, send) -> None:
        """Run the connection: each event from the server (connect, a frame,
        disconnect) is handled in turn.

        Channels' own version also waits on a channel-layer channel, through
        an extra task per connection; broadcasts come from the hub instead.
        """
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            # Also when the connection's work failed or was cancelled, and
            # ``disconnect`` never ran.
            self._release()

    async def dispatch(self, message: dict) -> None:
        """Run the handler of ``message["type"]`` (connect, a frame, disconnect).

        Channels' own dispatch first closes stale database connections on the
        database thread, a thread hop per frame that queues behind message
        writes. Every database call here goes through database_sync_to_async,
        which does that itself, so the hop is skipped.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        try:
            self.room_name = room_name_clean(self.scope["url_route"]["kwargs"]["room_name"])
        except InvalidRoomName as exc:
            await self._refuse("invalid_room", str(exc), CloseCode.INVALID_ROOM)
            return
        self.identity = await database_sync_to_async(identity_of_handshake)(self.scope["headers"])
        if not self._count_connection():
            await self._refuse(
                "too_many_connections",
                "Too many open chat tabs from you; close some and this one will reconnect.",
                CloseCode.TOO_MANY,
            )
            return
        self.delivered = Delivered()
        self.held = []
        rate, burst = settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_BURST
        self.bucket = bucket_new(rate, burst)
        self.person_bucket = person_buckets.acquire(self.identity.key, rate, burst)
        self.last_typing = 0.0
        self.retry_first: tuple[str, float] | None = None  # (nonce, until)
        addresses = (room_address(self.room_name), person_address(self.identity.key))
        try:
            for address in addresses:
                await hub().join(address, self)
                self.joined += (address,)
        except services.LAYER_ERRORS:
            self.log.warning("Redis unreachable on connect")
            self._release()
            await self._refuse(
                "unavailable",
                "The chat is briefly unavailable; retrying.",
                CloseCode.TRY_AGAIN_LATER,
            )
            return
        await self.accept()
        # The handshake's headers have been read; an idle connection keeps its
        # scope for hours, so they go (the list is shared by the whole scope chain).
        self.scope["headers"].clear()
        metrics.CONNECTIONS_OPEN.inc()
        self.is_open = True
        redis_watch().add(self)
        await self._send_identity()
        await self._send_initial_history()
        await self._release_held()
        await self._presence_join()

    async def disconnect(self, code: int) -> None:
        if self.present:
            self.present = False
            await self._presence_leave()
        self._release()

    def _release(self) -> None:
        """Let go of what this connection holds in the process; safe to repeat."""
        for counter, key in self.counted:
            counter.close(key)
        if self.counted:
            person_buckets.release(self.identity.key)
        self.counted = ()
        for address in self.joined:
            hub().leave(address, self)
        self.joined = ()
        self.held = None
        for task in self.background:
            task.cancel()
        if self.present:
            # The connection failed without a disconnect: still tell the room.
            self.present = False
            _detach(self._presence_leave())
        if self.is_open:
            self.is_open = False
            metrics.CONNECTIONS_OPEN.dec()
            redis_watch().discard(self)

    async def _presence_leave(self) -> None:
        try:
            await announce(self.room_name, await presence().leave(self.room_name, self.identity))
        except services.LAYER_ERRORS:
            self.log.warning("could not record a leave")

    def _count_connection(self) -> bool:
        client = self.scope.get("client") or ("unknown", 0)
        limits = [
            (connections_per_person, self.identity.key, settings.CHAT_MAX_CONNECTIONS_PER_PERSON),
            (connections_per_ip, client[0], settings.CHAT_MAX_CONNECTIONS_PER_IP),
        ]
        opened = []
        for counter, key, limit in limits:
            if not counter.try_open(key, limit):
                for done_counter, done_key in opened:
                    done_counter.close(done_key)
                return False
            opened.append((counter, key))
        self.counted = tuple(opened)
        return True

    # --- frames from the client ---------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self._send_error(BINARY_FRAME_ERROR)
            return
        try:
            frame = frame_parse(text_data, max_length=settings.CHAT_MESSAGE_MAX_LENGTH)
        except FrameError as exc:
            await self._send_error(exc)
            return
        try:
            match frame:
                case frames.SendMessage():
                    await self._post(frame)
                case frames.Resume(after=after):
                    await self._replay_after(after)
                case frames.Typing():
                    await self._typing()
                case frames.Delete(seq=seq):
                    await services.message_delete(
                        room_name=self.room_name, seq=seq, identity=self.identity
                    )
                case frames.Mute(seq=seq, minutes=minutes):
                    mute = await database_sync_to_async(services.mute_store)(
                        room_name=self.room_name, seq=seq, minutes=minutes, identity=self.identity
                    )
                    confirmation = events.mute_event(mute.name, mute.until)
                    await self.send(text_data=events.event_encode(confirmation))
        except services.ActionRefused as exc:
            await self._send_error(exc)

    async def _post(self, frame: frames.SendMessage) -> None:
        """Post a message; a refusal names the message's nonce so the page can retry it.

        After refusing a message that has a nonce, later messages are refused too
        until that one is sent again, so a retrying client keeps its order.
        """
        self.last_typing = 0.0  # a message ends the typing; the next keystroke is news
        now = time.monotonic()
        retry_first = self.retry_first
        if retry_first and retry_first[0] != frame.nonce and now < retry_first[1]:
            await self._rate_limited(max(0.05, self.bucket.take_time()), frame.nonce)
            return
        wait = take_from_all(self.bucket, self.person_bucket)
        if wait > 0:
            if frame.nonce and not retry_first:
                self.retry_first = (frame.nonce, now + HOLD_ORDER_FOR)
            await self._rate_limited(wait, frame.nonce)
            return
        self.retry_first = None
        # Posts are pipelined: the next frame is read while this one is stored,
        # so a fast sender's messages share transactions and broadcasts.
        if self.posts_in_flight is None:
            self.posts_in_flight = asyncio.Semaphore(MAX_POSTS_IN_FLIGHT)
        await self.posts_in_flight.acquire()
        posted = services.message_post(
            room_name=self.room_name, identity=self.identity, text=frame.text, nonce=frame.nonce
        )
        if not self.posting:
            self.posting = set()
        self.posting.add(posted)
        posted.add_done_callback(self.posting.discard)
        # Not cancelled on disconnect: a message sent just before closing is kept.
        _detach(self._answer_post(posted, frame.nonce))

    async def _answer_post(self, posted: asyncio.Future, nonce: str | None) -> None:
        try:
            result = await posted
        except services.ActionRefused as exc:
            await self._send_error(exc, nonce=nonce)
            return
        except Exception:
            # Not stored. This connection's later messages are withdrawn, so that
            # the page, which reconnects and re-sends them all, keeps their order.
            self.log.exception("could not store a message")
            for later in list(self.posting):
                later.cancel()
            await self.close(code=CloseCode.SERVER_ERROR)
            return
        except asyncio.CancelledError:
            return  # withdrawn after an earlier message failed
        finally:
            self.posts_in_flight.release()
        if not result.broadcast:
            # A repeated nonce, or Redis is away: the message is stored either
            # way, so acknowledge it to its sender directly.
            await self._send_message_frame(result.message.seq, result.frame, force=True)
            metrics.MESSAGES_DELIVERED.inc()

    async def _rate_limited(self, wait: float, nonce: str | None) -> None:
        metrics.RATE_LIMITED.inc()
        now = time.monotonic()
        if self.refusals is None:
            self.refusals = deque()
        self.refusals.append(now)
        while self.refusals and self.refusals[0] < now - ABUSE_WINDOW:
            self.refusals.popleft()
        await self._send_error(
            services.ActionRefused(
                "rate_limited",
                f"You are sending too fast; wait {wait:.1f} s.",
                retry_after=round(wait, 2),
            ),
            nonce=nonce,
        )
        if len(self.refusals) > 5 * settings.CHAT_RATE_BURST:
            self.log.info("closing a connection that keeps flooding")
            await self.close(code=CloseCode.TOO_MANY)

    async def _typing(self) -> None:
        now = time.monotonic()
        if now - self.last_typing < TYPING_MIN_INTERVAL:
            return
        self.last_typing = now
        text = events.event_encode(events.typing_event(person_public(self.identity)))
        with contextlib.suppress(*services.LAYER_ERRORS):  # typing is ephemeral
            await send_to(
                room_address(self.room_name),
                {"type": events.TYPING_TYPE, "text": text, "from": self.person_id},
            )

    @property
    def person_id(self) -> str:
        return public_person_id(self.identity.key)

    # --- broadcasts, from the hub ------------------------------------------------------

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
                    sent += await self._send_message_frame(seq, text)
                return sent
            case events.GROUP_EVENT_TYPE:
                await self.send(text_data=message["text"])
            case events.TYPING_TYPE:
                # Never shown to the typist's own tabs.
                if message["from"] != self.person_id:
                    await self.send(text_data=message["text"])
            case events.IDENTITY_CHANGED_TYPE:
                self._in_background(self._identity_changed(message["name"]))
        return 0

    async def _release_held(self) -> None:
        """Pass on the broadcasts that came while history was being sent."""
        while self.held:
            await self._take(self.held.pop(0))
        self.held = None
        if self.catch_up_due:
            self.catch_up_due = False
            self._in_background(self._catch_up())

    async def _identity_changed(self, name: str) -> None:
        """This person took a new display name in some tab."""
        self.identity = dataclasses.replace(self.identity, name=name)
        await self._send_identity()
        try:
            await announce(self.room_name, await presence().rename(self.room_name, self.identity))
        except services.LAYER_ERRORS:
            self.log.warning("could not announce a new name")

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

    # --- sending -------------------------------------------------------------------

    # A seq is recorded as delivered before its frame is sent, so a broadcast
    # and a replay that overlap never send the same message twice.

    async def _send_message_frame(self, seq: int, text: str, *, force: bool = False) -> bool:
        if self.delivered.has(seq) and not force:
            return False
        self.delivered.add(seq)
        await self.send(text_data=text)
        return True

    async def _send_messages(self, messages, *, skip_sent: bool = False) -> int:
        """Send stored messages; returns how many were sent."""
        sent = 0
        for message in messages:
            if skip_sent and self.delivered.has(message.seq):
                continue
            self.delivered.add(message.seq)
            await self.send(text_data=events.event_encode(events.message_event(message)))
            sent += 1
        metrics.MESSAGES_DELIVERED.inc(sent)
        return sent

    async def _send_initial_history(self) -> None:
        query = parse_qs(self.scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if "after" in query:
            try:
                after = seq_parse(query["after"][0], field="after")
            except FrameError as exc:
                await self._send_error(exc)
            else:
                self.delivered.start_after(after)
                await self._replay_after(after)
                return
        messages = await database_sync_to_async(selectors.room_history)(room_name=self.room_name)
        await self._send_messages(messages)
        self.delivered.start_after(messages[-1].seq if messages else 0)
        await self.send(text_data=events.event_encode(events.ready_event(self.delivered.highest)))

    async def _replay_after(self, after: int) -> None:
        messages, truncated = await database_sync_to_async(selectors.room_messages_after)(
            room_name=self.room_name, after=after, limit=settings.CHAT_REPLAY_MAX
        )
        metrics.RESUMES.inc()
        metrics.REPLAYED.inc(await self._send_messages(messages))
        last_seq = messages[-1].seq if messages else after
        ready = events.ready_event(max(last_seq, self.delivered.highest), truncated=truncated)
        await self.send(text_data=events.event_encode(ready))

    async def _catch_up(self) -> None:
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
            for room_name, change in await presence().refresh():
                await announce(room_name, change)
            await self._send_presence_snapshot()
        except services.LAYER_ERRORS:
            self.log.warning("presence not restored after Redis came back")

    async def _presence_join(self) -> None:
        self.present = True
        try:
            await announce(self.room_name, await presence().join(self.room_name, self.identity))
            await self._send_presence_snapshot()
        except services.LAYER_ERRORS:
            self.log.warning("presence unavailable")

    async def _send_presence_snapshot(self) -> None:
        snapshot = await presence().snapshot(self.room_name)
        await announce(self.room_name, snapshot)
        event = events.presence_event(snapshot.users, snapshot.version)
        await self.send(text_data=events.event_encode(event))

    async def _send_identity(self) -> None:
        event = events.identity_event(
            self.person_id,
            self.identity.name,
            guest=self.identity.is_guest,
            staff=self.identity.is_staff,
        )
        await self.send(text_data=events.event_encode(event))

    async def _send_error(
        self, error: FrameError | services.ActionRefused, nonce: str | None = None
    ) -> None:
        retry_after = getattr(error, "retry_after", None)
        metrics.ERRORS.labels(code=error.code).inc()
        event = events.error_event(error.code, error.detail, retry_after, nonce)
        await self.send(text_data=events.event_encode(event))

    async def _refuse(self, code: str, detail: str, close_code: int) -> None:
        """Accept only to say why in an error frame, then close with ``close_code``."""
        await self.accept()
        await self._send_error(FrameError(code, detail))
        await self.close(code=close_code)


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Any WebSocket path that isn't a chat room."""

    async def connect(self) -> None:
        await self.accept()
        detail = f"No WebSocket endpoint at {self.scope['path']}; rooms are at /ws/chat/<room>/."
        await self.send(text_data=events.event_encode(events.error_event("not_found", detail)))
        await self.close(code=CloseCode.NOT_FOUND)
