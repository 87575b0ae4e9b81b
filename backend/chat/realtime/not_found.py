"""The WebSocket endpoint for every path that isn't a chat room."""

from channels.generic.websocket import AsyncWebsocketConsumer

from chat.protocol import CloseCode, events


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Any WebSocket path that isn't a chat room."""

    async def connect(self) -> None:
        await self.accept()
        detail = f"No WebSocket endpoint at {self.scope['path']}; rooms are at /ws/chat/<room>/."
        await self.send(text_data=events.event_encode(events.error_event("not_found", detail)))
        await self.close(code=CloseCode.NOT_FOUND)
