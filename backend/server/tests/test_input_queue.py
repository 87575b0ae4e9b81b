"""The light input queue a worker gives each connection."""

import asyncio

import pytest

from server.input_queue import InputQueue


async def test_the_input_queue_hands_over_in_order_whether_or_not_someone_waits():
    queue = InputQueue()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert [await queue.get(), await queue.get()] == [1, 2]
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait(3)
    assert await waiting == 3


async def test_a_reader_that_stopped_waiting_loses_nothing():
    queue = InputQueue()
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    waiting.cancel()
    await asyncio.sleep(0)
    queue.put_nowait("kept")
    assert await queue.get() == "kept"


async def test_a_second_waiting_reader_is_refused():
    queue = InputQueue()
    first = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="only one reader"):
        await queue.get()
    queue.put_nowait("for the first")
    assert await first == "for the first"


async def test_an_emptied_queue_lets_go_of_its_buffer():
    queue = InputQueue()
    assert queue.items is None and queue.waiter is None
    queue.put_nowait("a")
    assert await queue.get() == "a"
    assert queue.items is None
