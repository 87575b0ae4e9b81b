"""One object per event loop: the process-wide things of a server process.

A server process runs one event loop, so "one per loop" means "one per
process". Tests run each test on a loop of its own, and each gets fresh ones;
the objects of closed loops are dropped when the next loop makes its own.
"""

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import TypeVar

T = TypeVar("T")


def per_event_loop(make: Callable[[], T]) -> Callable[[], T]:
    """Turn ``make`` into a function that returns the running loop's one ``T``,
    made on first use."""
    # Not weak: the objects' own tasks hold their loop, so it would never go.
    made: dict[asyncio.AbstractEventLoop, T] = {}

    @functools.wraps(make)
    def of_this_loop() -> T:
        loop = asyncio.get_running_loop()
        try:
            return made[loop]
        except KeyError:
            for closed in [other for other in made if other.is_closed()]:
                del made[closed]
            made[loop] = instance = make()
            return instance

    return of_this_loop


@per_event_loop
def _detached() -> set[asyncio.Task]:
    return set()


def detach(work: Coroutine) -> None:
    """Run ``work`` to its end, even if whoever started it (a connection) goes away first."""
    task = asyncio.get_running_loop().create_task(work)
    tasks = _detached()
    tasks.add(task)
    task.add_done_callback(tasks.discard)
