import json
from urllib.parse import quote

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")


class ChatClient:
    """A WebSocket client of the full ASGI application, speaking JSON frames."""

    def __init__(self, path: str, headers=None) -> None:
        self.communicator = WebsocketCommunicator(
            application, path, headers=headers if headers is not None else [ORIGIN, HOST]
        )

    async def connect(self):
        return await self.communicator.connect()

    async def send(self, frame) -> None:
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = 3) -> dict:
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def receive_nothing(self) -> bool:
        return await self.communicator.receive_nothing(timeout=0.3)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
async def connect_room():
    """Open a chat WebSocket to a room; every client is closed after the test."""
    clients: list[ChatClient] = []

    async def connect(room: str, headers=None) -> ChatClient:
        client = ChatClient(f"/ws/chat/{quote(room)}/", headers)
        connected, _ = await client.connect()
        assert connected, f"could not connect to room {room!r}"
        clients.append(client)
        return client

    yield connect
    for client in clients:
        await client.close()
