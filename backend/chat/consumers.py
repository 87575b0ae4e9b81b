"""WebSocket consumers: connection work only; what the chat does is in services."""

import logging

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from redis.exceptions import RedisError

from chat import events, services
from chat.frames import BINARY_FRAME_ERROR, FrameError, frame_parse
from chat.rooms import InvalidRoomName, room_group_name, room_name_clean

logger = logging.getLogger(__name__)

# Close codes, documented in docs/protocol.md.
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_INVALID_ROOM = 4400
CLOSE_NOT_FOUND = 4404


class ChatConsumer(AsyncWebsocketConsumer):
    """One browser tab in one room."""

    room_name: str | None = None
    group_name: str | None = None

    async def connect(self) -> None:
        try:
            self.room_name = room_name_clean(self.scope["url_route"]["kwargs"]["room_name"])
        except InvalidRoomName as exc:
            await self._refuse("invalid_room", str(exc), CLOSE_INVALID_ROOM)
            return
        group_name = room_group_name(self.room_name)
        try:
            await self.channel_layer.group_add(group_name, self.channel_name)
        except (RedisError, OSError):
            logger.warning("room %r: channel layer unavailable on connect", self.room_name)
            await self._refuse(
                "unavailable", "The chat is briefly unavailable; retrying.", CLOSE_TRY_AGAIN_LATER
            )
            return
        self.group_name = group_name
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group_name is not None:
            try:
                await self.channel_layer.group_discard(self.group_name, self.channel_name)
            except (RedisError, OSError):
                logger.warning("room %r: could not leave group on disconnect", self.room_name)

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
            await services.message_post(room_name=self.room_name, text=frame.text)
        except services.DeliveryFailed:
            await self._send_error(
                FrameError("not_delivered", "The message could not be delivered; send it again.")
            )

    async def chat_frame(self, event: dict) -> None:
        """A ready-made frame broadcast to the room (see events.GROUP_FRAME_TYPE)."""
        await self.send(text_data=event["text"])

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
