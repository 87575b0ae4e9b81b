"""Helpers for the backend tests: a JSON WebSocket client, sessions of guests and users,
waiting on a condition, and a clock the test moves."""

import asyncio
import inspect
import json
import secrets

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from chat.identity import GUEST_ID_SESSION_KEY, GUEST_NAME_SESSION_KEY
from config.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
# What `receive` returns by default; presence and typing frames are set aside.
CONVERSATION = frozenset({"message", "error", "ready", "identity", "delete", "mute"})
HOST = (b"host", b"127.0.0.1:8000")


class ChatClient:
    """A WebSocket client of the full ASGI application, speaking JSON frames."""

    def __init__(self, path: str, headers=None) -> None:
        self.communicator = WebsocketCommunicator(
            application, path, headers=headers if headers is not None else [ORIGIN, HOST]
        )
        self.identity: dict | None = None
        self.history: list[dict] = []
        self.ready: dict | None = None
        self.errors: list[dict] = []
        self.set_aside: list[dict] = []

    async def connect(self):
        return await self.communicator.connect()

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

    async def send(self, frame) -> None:
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = 5, kinds=CONVERSATION) -> dict:
        """The next frame whose type is in ``kinds``; others are kept in ``set_aside``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = max(0.01, deadline - asyncio.get_running_loop().time())
            frame = json.loads(await self.communicator.receive_from(timeout=remaining))
            if frame["type"] in kinds:
                return frame
            self.set_aside.append(frame)

    async def receive_nothing(self, timeout: float = 0.3, kinds=CONVERSATION) -> bool:
        """True when no frame of ``kinds`` arrives within ``timeout``.

        (Channels' own receive_nothing is used to wait: timing out a receive
        would cancel the application.)
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (remaining := deadline - loop.time()) > 0:
            if await self.communicator.receive_nothing(timeout=remaining, interval=0.02):
                return True
            frame = json.loads(await self.communicator.receive_from())
            if frame["type"] in kinds:
                self.set_aside.append(frame)
                return False
            self.set_aside.append(frame)
        return True

    async def post(self, text: str, nonce: str | None = None) -> dict:
        """Send a message and return its acknowledgement (our copy of the broadcast)."""
        frame = {"message": text} if nonce is None else {"message": text, "nonce": nonce}
        await self.send(frame)
        ack = await self.receive()
        assert ack["type"] == "message", ack
        return ack

    async def close(self) -> None:
        await self.communicator.disconnect()


def session_cookie(session_key: str) -> tuple[bytes, bytes]:
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode())


@database_sync_to_async
def guest_session(name: str | None = None) -> str:
    """A saved guest session (as the room page leaves one); returns its key."""
    session = SessionStore()
    session[GUEST_ID_SESSION_KEY] = secrets.token_hex(8)
    session[GUEST_NAME_SESSION_KEY] = name or f"guest-{secrets.randbelow(10_000):04d}"
    session.create()
    return session.session_key


@database_sync_to_async
def user_session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def eventually(condition, *, what: str, timeout: float = 5.0) -> None:
    """Wait until ``condition()`` (a function, or a coroutine function) is true;
    fail naming ``what`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        assert loop.time() < deadline, f"gave up after {timeout:g} s waiting for {what}"
        await asyncio.sleep(0.01)


class FakeClock:
    """A clock that moves only when the test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
