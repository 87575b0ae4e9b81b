"""The Batcher: what queues up while a batch is handled goes together, in order."""

import asyncio

import pytest

from chat.services.batching import Batcher


class Handler:
    """Doubles each item; records the batches, and can hold a batch until released."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        await self.release.wait()
        return [item * 2 for item in items]


async def test_a_lone_item_is_handled_at_once():
    handler = Handler()
    assert await Batcher(handler).submit(4) == 8
    assert handler.batches == [[4]]


async def test_items_queued_during_a_batch_go_together_in_order():
    handler = Handler()
    handler.release.clear()
    batcher = Batcher(handler)
    first = batcher.submit(1)
    await asyncio.sleep(0)  # the first batch starts, and waits
    rest = [batcher.submit(n) for n in (2, 3, 4)]
    handler.release.set()
    assert await asyncio.gather(first, *rest) == [2, 4, 6, 8]
    assert handler.batches == [[1], [2, 3, 4]]


async def test_batches_are_no_bigger_than_the_limit():
    handler = Handler()
    batcher = Batcher(handler, max_batch=2)
    results = await asyncio.gather(*(batcher.submit(n) for n in range(5)))
    assert results == [0, 2, 4, 6, 8]
    assert handler.batches == [[0, 1], [2, 3], [4]]


async def test_a_failed_batch_fails_only_its_items():
    calls = []

    async def handle(items):
        calls.append(items)
        if len(calls) == 1:
            raise RuntimeError("the database is away")
        return items

    batcher = Batcher(handle)
    failed = batcher.submit("a")
    await asyncio.sleep(0)
    later = batcher.submit("b")
    with pytest.raises(RuntimeError, match="database is away"):
        await failed
    assert await later == "b"


async def test_an_exception_as_a_result_fails_only_its_item():
    async def handle(items):
        return [ValueError(f"no {item}") if item < 0 else item for item in items]

    batcher = Batcher(handle)
    good, bad = batcher.submit(1), batcher.submit(-1)
    assert await good == 1
    with pytest.raises(ValueError, match="no -1"):
        await bad


async def test_a_submitter_that_stops_waiting_does_not_disturb_the_others():
    handler = Handler()
    handler.release.clear()
    batcher = Batcher(handler)
    gone = batcher.submit(1)
    staying = batcher.submit(2)
    await asyncio.sleep(0)
    gone.cancel()
    handler.release.set()
    assert await staying == 4


async def test_an_item_withdrawn_before_its_batch_is_taken_is_not_handled():
    handler = Handler()
    handler.release.clear()
    batcher = Batcher(handler)
    first = batcher.submit(1)
    await asyncio.sleep(0)  # the first batch is being handled
    withdrawn = batcher.submit(2)
    kept = batcher.submit(3)
    withdrawn.cancel()
    handler.release.set()
    assert await asyncio.gather(first, kept) == [2, 6]
    assert handler.batches == [[1], [3]]


async def test_it_says_when_the_queue_runs_empty():
    idle = []
    batcher = Batcher(Handler(), on_idle=lambda: idle.append(True))
    await batcher.submit(1)
    await asyncio.sleep(0)
    assert idle == [True] and batcher.running is None
