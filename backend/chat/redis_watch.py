"""Notice when Redis restarts or comes back, so open connections can catch up.

While Redis is away, messages are still stored but can't be fanned out. One
watcher per event loop (that is, per server process) asks Redis for its run id
every second; when a call fails, or the run id changes, the next good answer
first tells the process's caches to forget what they may have missed
(``before``), then every registered listener (connections, the presence
tracker) to catch up.
A Sentinel failover is such a change: the promoted replica has its own run id.
"""

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from typing import Protocol

from redis.backoff import NoBackoff
from redis.retry import Retry

from chat.redis_client import connect
from observability import metrics

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 1.0


class Listener(Protocol):
    def redis_recovered(self) -> None: ...


class RedisWatch:
    def __init__(self, before: Callable[[], None] = lambda: None) -> None:
        self.before = before
        self.listeners: weakref.WeakSet[Listener] = weakref.WeakSet()
        self._task: asyncio.Task | None = None

    def add(self, listener: Listener) -> None:
        self.listeners.add(listener)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, listener: Listener) -> None:
        self.listeners.discard(listener)

    async def _run_id(self, client) -> str | None:
        started = time.perf_counter()
        try:
            info = await client.info("server")
        except Exception:
            return None
        metrics.REDIS_ROUNDTRIP.set(time.perf_counter() - started)
        return info.get("run_id")

    async def _run(self) -> None:
        client = connect(socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
        try:
            known = await self._run_id(client)  # None while Redis is unreachable
            while self.listeners:
                await asyncio.sleep(CHECK_INTERVAL)
                current = await self._run_id(client)
                if current is not None and current != known:
                    logger.info("Redis is back; replaying missed messages to open connections")
                    self.before()  # what the process kept may have missed a change
                    for listener in list(self.listeners):
                        listener.redis_recovered()
                known = current
        finally:
            await client.aclose()
