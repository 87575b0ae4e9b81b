"""A connection as its session and posts see it: text to send, and a way to close.

Both are made from the ASGI ``send`` alone, so that nothing a session holds
points back to its consumer: no reference cycle keeps a closed connection
around until the garbage collector runs.
"""

from collections.abc import Awaitable, Callable

from chat.protocol import CloseCode


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
