"""A lighter stand-in for the asyncio.Queue Daphne gives each connection."""

import asyncio
from collections import deque


class InputQueue:
    """What Daphne needs of an application's input queue: put_nowait() and get(),
    for one reader. Holds no buffers until something waits in it, so an idle
    WebSocket holds it for hours at a fraction of asyncio.Queue's memory."""

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: deque | None = None
        self.waiter: asyncio.Future | None = None

    def put_nowait(self, item) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(item)
            self.waiter = None
            return
        if self.items is None:
            self.items = deque()
        self.items.append(item)

    async def get(self):
        if self.items:
            item = self.items.popleft()
            if not self.items:
                self.items = None
            return item
        if self.waiter is not None and not self.waiter.done():
            raise RuntimeError("only one reader may wait for a connection's input")
        self.waiter = asyncio.get_running_loop().create_future()
        return await self.waiter
