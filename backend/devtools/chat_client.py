"""A chat client speaking the chat's JSON frames, for the tests and the benchmark.

``ChatClient.connect`` opens a real WebSocket (the websockets library) to a
running server. The backend tests run the same client over Channels'
in-process communicator instead (chat/tests/helpers.py), by overriding the
three methods that move text.
"""

import asyncio
import json
from urllib.parse import quote

import websockets

# What ``receive`` returns by default; presence and typing frames are set aside.
CONVERSATION = frozenset({"message", "error", "ready", "identity", "edit", "delete", "mute"})


def room_url(base_url: str, room: str, after: int | None = None) -> str:
    url = base_url.replace("http://", "ws://", 1) + f"/ws/chat/{quote(room)}/"
    return url if after is None else f"{url}?after={after}"


class ChatClient:
    def __init__(self, connection=None) -> None:
        self.connection = connection
        self.frames: list[dict] = []  # every frame received, in order
        self.set_aside: list[dict] = []  # those ``receive`` passed over
        self.identity: dict | None = None
        self.history: list[dict] = []  # the messages before the last ``ready``
        self.ready: dict | None = None
        self.errors: list[dict] = []

    @classmethod
    async def connect(
        cls, base_url: str, room: str, after: int | None = None, *, ready=True, **options
    ) -> "ChatClient":
        """Open a WebSocket to ``room`` (``options`` go to websockets.connect); with
        ``ready``, read up to the server's ``ready`` frame."""
        options.setdefault("origin", base_url)
        client = cls(await websockets.connect(room_url(base_url, room, after), **options))
        if ready:
            await client.until(lambda frame: frame["type"] == "ready")
        return client

    @property
    def worker(self) -> str:
        """The Server header of the handshake's answer (it names the worker process)."""
        return self.connection.response.headers.get("Server", "")

    # --- moving text: what another transport overrides --------------------------------

    async def send_text(self, text: str) -> None:
        await self.connection.send(text)

    async def receive_text(self, timeout: float) -> str:
        return await asyncio.wait_for(self.connection.recv(), timeout)

    async def close(self) -> None:
        await self.connection.close()

    # --- frames -----------------------------------------------------------------------

    async def send(self, frame: dict) -> None:
        await self.send_text(json.dumps(frame))

    async def next(self, timeout: float = 10) -> dict:
        frame = json.loads(await self.receive_text(timeout))
        self.frames.append(frame)
        return frame

    async def until(self, condition, timeout: float = 10) -> dict:
        """The first frame from now on for which ``condition(frame)`` is true."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.next(max(deadline - loop.time(), 0.01))
            if condition(frame):
                return frame

    async def receive(self, timeout: float = 5, kinds=CONVERSATION) -> dict:
        """The next frame whose type is in ``kinds``; others are kept in ``set_aside``."""
        frame = await self.until(
            lambda frame: frame["type"] in kinds or self.set_aside.append(frame), timeout
        )
        return frame

    async def read_until_ready(self) -> dict:
        """Read the frames sent on connect (or after a resume) up to ``ready``."""
        self.history = []
        while True:
            frame = await self.receive()
            if frame["type"] == "identity":
                self.identity = frame
            elif frame["type"] == "message":
                self.history.append(frame)
            elif frame["type"] == "error":
                self.errors.append(frame)
            elif frame["type"] == "ready":
                self.ready = frame
                return frame
            else:
                raise AssertionError(f"unexpected frame before ready: {frame}")

    async def post(self, text: str, nonce: str | None = None) -> dict:
        """Send a message and return its acknowledgement (our copy of the broadcast)."""
        await self.send({"message": text} if nonce is None else {"message": text, "nonce": nonce})
        ack = await self.receive()
        assert ack["type"] == "message", ack
        return ack

    def messages(self) -> list[dict]:
        return [frame for frame in self.frames if frame["type"] == "message"]
