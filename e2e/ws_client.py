"""A plain WebSocket client of the chat (no browser), for tests that need many clients."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import websockets


class Client:
    def __init__(self, connection) -> None:
        self.connection = connection
        self.frames: list[dict] = []
        self.worker = connection.response.headers.get("Server", "")

    @classmethod
    async def connect(cls, base_url: str, room: str, after: int | None = None, **kwargs):
        url = base_url.replace("http://", "ws://") + f"/ws/chat/{quote(room)}/"
        if after is not None:
            url += f"?after={after}"
        connection = await websockets.connect(url, origin=base_url, **kwargs)
        client = cls(connection)
        await client.until(lambda frame: frame["type"] == "ready")
        return client

    async def next(self, timeout: float = 10) -> dict:
        frame = json.loads(await asyncio.wait_for(self.connection.recv(), timeout))
        self.frames.append(frame)
        return frame

    async def until(self, condition, timeout: float = 10) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            frame = await self.next(max(remaining, 0.01))
            if condition(frame):
                return frame

    def messages(self) -> list[dict]:
        return [f for f in self.frames if f["type"] == "message"]

    async def send(self, frame: dict) -> None:
        await self.connection.send(json.dumps(frame))

    async def close(self) -> None:
        await self.connection.close()


def run(coroutine) -> None:
    """Run a test scenario on an event loop of its own (the browser tests keep one
    running on the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()
