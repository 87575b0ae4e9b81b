"""The WebSocket endpoint for every path that isn't a chat room."""

from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext

from chat.protocol import CloseCode, events
from people.languages import HandshakeLanguage


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Any WebSocket path that isn't a chat room."""

    async def connect(self) -> None:
        await self.accept()
        with translation.override(HandshakeLanguage(self.scope["headers"]).of()):
            detail = gettext(
                "No WebSocket endpoint at {path}; rooms are at /ws/chat/<room>/."
            ).format(path=self.scope["path"])
        await self.send(text_data=events.event_encode(events.error_event("not_found", detail)))
        await self.close(code=CloseCode.NOT_FOUND)
