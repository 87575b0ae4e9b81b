"""Helpers for the backend tests: a JSON WebSocket client, sessions of guests and users,
waiting on a condition, and a clock the test moves."""

import asyncio
import inspect
import json

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from chat.tests.membership import guest_session_key
from config.asgi import application
from devtools.chat_client import CONVERSATION
from devtools.chat_client import ChatClient as BaseChatClient

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
HOST = (b"host", b"127.0.0.1:8000")


class ChatClient(BaseChatClient):
    """The tests' chat client over the full ASGI application, in this process."""

    def __init__(self, path: str, headers=None) -> None:
        super().__init__()
        self.communicator = WebsocketCommunicator(
            application, path, headers=headers if headers is not None else [ORIGIN, HOST]
        )

    async def connect(self):
        return await self.communicator.connect()

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def receive_text(self, timeout: float) -> str:
        return await self.communicator.receive_from(timeout=timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()

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
            frame = await self.next()
            self.set_aside.append(frame)
            if frame["type"] in kinds:
                return False
        return True


def session_cookie(session_key: str) -> tuple[bytes, bytes]:
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session_key}".encode())


@database_sync_to_async
def guest_session(name: str | None = None) -> str:
    """A saved guest session (as the room page leaves one); returns its key."""
    return guest_session_key(name)


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


class Outbox:
    """Stands in for a connection: keeps each text frame the session sends."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def __call__(self, text: str) -> None:
        self.texts.append(text)

    def kinds(self) -> list[str]:
        """Each frame's type; a broadcast's stand-in frame as its own text."""
        return [json.loads(t)["type"] if t.startswith("{") else t for t in self.texts]


def assert_name_refused(client, name: str, reason: str) -> None:
    """A guest (``client``, a Django test client) asks for ``name`` and is refused with
    ``reason``; their name stays as it was."""
    client.post("/accounts/guest/")
    before = client.get("/chat/").context["identity"].name
    response = client.post("/accounts/name/", {"name": name})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert client.get("/chat/").context["identity"].name == before
