"""Running WebSocket scenarios (devtools.chat_client) beside the browser tests."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor


def run(coroutine) -> None:
    """Run a test scenario on an event loop of its own (the browser tests keep one
    running on the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


class BackgroundLoop:
    """An event loop on a thread of its own, for clients kept open across several
    steps of a browser test (on the main thread)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
