"""A connection as its session and posts see it: text to send, a way to close, and a
way to wait for its client to read.

The first two are made from the ASGI ``send`` alone, the third is the server's
own hook taken from the scope, so that nothing a session holds points back to
its consumer: no reference cycle keeps a closed connection around until the
garbage collector runs.
"""

from collections.abc import Awaitable, Callable

from chat.protocol import CloseCode
from server.websocket import DRAIN_EXTENSION


def text_sender(send) -> Callable[[str], Awaitable[None]]:
    """Sends one text frame."""

    async def send_text(text: str) -> None:
        await send({"type": "websocket.send", "text": text})

    return send_text


def closer(send, code: CloseCode) -> Callable[[], Awaitable[None]]:
    """Closes the connection with ``code``."""

    async def close() -> None:
        await send({"type": "websocket.close", "code": code})

    return close


async def _always_drained() -> bool:
    return True


def drain_waiter(scope) -> Callable[[], Awaitable[bool]]:
    """Waits until the client has read enough for more to be sent (False: it is gone),
    through the chat server's ``DRAIN_EXTENSION`` in the connection's ASGI ``scope``;
    returns at once under a server without it (plain Daphne, the test client)."""
    extension = (scope.get("extensions") or {}).get(DRAIN_EXTENSION)
    return extension["drained"] if extension else _always_drained
