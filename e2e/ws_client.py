"""Running WebSocket scenarios (devtools.chat_client) beside the browser tests."""

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run(coroutine) -> None:
    """Run a test scenario on an event loop of its own (the browser tests keep one
    running on the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()
