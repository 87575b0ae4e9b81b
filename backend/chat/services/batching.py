"""Handling what queued up together in one go, in order.

When several connections of a process post to one room at once, storing and
broadcasting each message alone costs a transaction and a broadcast apiece.
A Batcher runs one batch at a time: while one is being handled, new items
queue up, and the next batch takes all of them. A lone item goes at once, so
nothing waits for a batch to fill. With ``spacing``, batches start at least that
far apart: what comes in meanwhile waits for the next one (presence uses this
to announce people joining together in one go).
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

MAX_BATCH = 100


class Batcher:
    def __init__(
        self,
        handle: Callable[[list[Any]], Awaitable[list[Any]]],
        on_idle: Callable[[], None] = lambda: None,
        max_batch: int = MAX_BATCH,
        spacing: float = 0.0,
    ) -> None:
        """``handle`` takes a list of items and returns one result per item (an
        exception instance fails its item alone); ``on_idle`` is called when the
        queue runs empty."""
        self.handle = handle
        self.on_idle = on_idle
        self.max_batch = max_batch
        self.spacing = spacing
        self.pending: list[tuple[Any, asyncio.Future]] = []
        self.running: asyncio.Task | None = None

    def submit(self, item: Any) -> asyncio.Future:
        """Queue ``item`` now; the future gets its result once its batch is handled."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.pending.append((item, done))
        if self.running is None:
            self.running = loop.create_task(self._run())
        return done

    async def _run(self) -> None:
        batch: list[tuple[Any, asyncio.Future]] = []
        try:
            while self.pending:
                # An item whose submitter withdrew it (cancelled its future) is dropped.
                self.pending = [entry for entry in self.pending if not entry[1].done()]
                batch = self.pending[: self.max_batch]
                del self.pending[: self.max_batch]
                if not batch:
                    break
                try:
                    results = await self.handle([item for item, _ in batch])
                except Exception as exc:
                    for _, done in batch:
                        if not done.done():  # else its submitter stopped waiting
                            done.set_exception(exc)
                else:
                    for (_, done), result in zip(batch, results, strict=True):
                        if done.done():
                            continue
                        if isinstance(result, BaseException):
                            done.set_exception(result)
                        else:
                            done.set_result(result)
                batch = []
                # Let the submitters see their results (and withdraw items that
                # should no longer go) before the next batch is taken.
                await asyncio.sleep(self.spacing)
        finally:
            # Stopped (the event loop is closing): nobody is left waiting forever.
            for _, done in batch + self.pending:
                done.cancel()
            self.pending = []
            self.running = None
            self.on_idle()
