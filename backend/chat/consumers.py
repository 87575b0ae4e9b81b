"""WebSocket consumers: connection work only; what the chat does is in services."""

import asyncio
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chat import events, selectors, services
from chat.frames import BINARY_FRAME_ERROR, FrameError, Resume, frame_parse, seq_parse
from chat.identity import Identity, identity_of
from chat.redis_watch import redis_watch
from chat.rooms import InvalidRoomName, person_group_name, room_group_name, room_name_clean

logger = logging.getLogger(__name__)

# Close codes, documented in docs/protocol.md.
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_INVALID_ROOM = 4400
CLOSE_NOT_FOUND = 4404

# After Redis comes back, catch up now and again a little later: the channel
# layer re-subscribes to rooms on its own schedule (within about a second).
CATCH_UP_DELAYS = (0.0, 1.5, 4.0)


@database_sync_to_async
def _identity_of_scope(scope) -> Identity:
    session = scope["session"]
    identity = identity_of(scope.get("user"), session)
    if session.modified and session.session_key:
        session.save()
    return identity


class ChatConsumer(AsyncWebsocketConsumer):
    """One browser tab in one room.

    It keeps ``sent_seq``, the highest message seq this connection has sent, so
    a live broadcast it already replayed from history is not sent twice.
    """

    room_name: str | None = None
    groups_joined: tuple[str, ...] = ()

    async def connect(self) -> None:
        try:
            self.room_name = room_name_clean(self.scope["url_route"]["kwargs"]["room_name"])
        except InvalidRoomName as exc:
            await self._refuse("invalid_room", str(exc), CLOSE_INVALID_ROOM)
            return
        self.identity = await _identity_of_scope(self.scope)
        self.sent_seq = 0
        self.send_lock = asyncio.Lock()
        groups = (room_group_name(self.room_name), person_group_name(self.identity.key))
        try:
            for group in groups:
                await self.channel_layer.group_add(group, self.channel_name)
        except services.LAYER_ERRORS:
            logger.warning("room %r: Redis unreachable on connect", self.room_name)
            await self._refuse(
                "unavailable", "The chat is briefly unavailable; retrying.", CLOSE_TRY_AGAIN_LATER
            )
            return
        self.groups_joined = groups
        await self.accept()
        redis_watch().add(self)
        await self._send_identity()
        await self._send_initial_history()

    async def disconnect(self, code: int) -> None:
        redis_watch().discard(self)
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except services.LAYER_ERRORS:
                logger.warning("room %r: could not leave a group on disconnect", self.room_name)

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
        if isinstance(frame, Resume):
            await self._replay_after(frame.after)
            return
        result = await services.message_post(
            room_name=self.room_name, identity=self.identity, text=frame.text, nonce=frame.nonce
        )
        if not result.broadcast:
            # A repeated nonce, or Redis is away: the message is stored either
            # way, so acknowledge it to its sender directly.
            await self._send_message_frame(result.message.seq, result.frame, force=True)

    # --- channel-layer events ------------------------------------------------------

    async def chat_frame(self, event: dict) -> None:
        """A message broadcast to the room (events.GROUP_FRAME_TYPE)."""
        await self._send_message_frame(event["seq"], event["text"])

    async def identity_changed(self, event: dict) -> None:
        """This person took a new display name in some tab (events.IDENTITY_CHANGED_TYPE)."""
        self.identity = Identity(self.identity.key, event["name"], self.identity.is_guest)
        await self._send_identity()

    def redis_recovered(self) -> None:
        """Redis restarted or came back: replay what its outage kept from us."""
        asyncio.get_running_loop().create_task(self._catch_up())

    # --- sending -------------------------------------------------------------------

    async def _send_message_frame(self, seq: int, text: str, *, force: bool = False) -> None:
        async with self.send_lock:
            if seq <= self.sent_seq and not force:
                return
            await self.send(text_data=text)
            self.sent_seq = max(self.sent_seq, seq)

    async def _send_messages(self, messages, *, skip_sent: bool = False) -> None:
        async with self.send_lock:
            for message in messages:
                if skip_sent and message.seq <= self.sent_seq:
                    continue
                await self.send(text_data=events.event_encode(events.message_event(message)))
                self.sent_seq = max(self.sent_seq, message.seq)

    async def _send_initial_history(self) -> None:
        query = parse_qs(self.scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if "after" in query:
            try:
                after = seq_parse(query["after"][0], field="after")
            except FrameError as exc:
                await self._send_error(exc)
            else:
                await self._replay_after(after)
                return
        messages = await database_sync_to_async(selectors.room_history)(room_name=self.room_name)
        await self._send_messages(messages)
        last_seq = messages[-1].seq if messages else 0
        await self.send(text_data=events.event_encode(events.ready_event(last_seq)))

    async def _replay_after(self, after: int) -> None:
        messages, truncated = await database_sync_to_async(selectors.room_messages_after)(
            room_name=self.room_name, after=after, limit=settings.CHAT_REPLAY_MAX
        )
        await self._send_messages(messages)
        last_seq = messages[-1].seq if messages else after
        ready = events.ready_event(max(last_seq, self.sent_seq), truncated=truncated)
        await self.send(text_data=events.event_encode(ready))

    async def _catch_up(self) -> None:
        for delay in CATCH_UP_DELAYS:
            await asyncio.sleep(delay)
            messages, _ = await database_sync_to_async(selectors.room_messages_after)(
                room_name=self.room_name, after=self.sent_seq, limit=settings.CHAT_REPLAY_MAX
            )
            await self._send_messages(messages, skip_sent=True)

    async def _send_identity(self) -> None:
        event = events.identity_event(self.identity.name, guest=self.identity.is_guest)
        await self.send(text_data=events.event_encode(event))

    async def _send_error(self, error: FrameError) -> None:
        await self.send(text_data=events.event_encode(events.error_event(error.code, error.detail)))

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
        await self.close(code=CLOSE_NOT_FOUND)
