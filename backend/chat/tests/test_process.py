"""One Process per event loop, and work that outlives its connection."""

import asyncio
import weakref

from chat.process import detach, process


def test_each_loop_gets_its_own_process_and_keeps_it():
    async def twice():
        return process(), process()

    first, again = asyncio.run(twice())
    other, _ = asyncio.run(twice())
    assert first is again
    assert other is not first


def test_the_parts_of_a_process_are_wired_to_each_other():
    async def made():
        return process()

    made = asyncio.run(made())
    assert made.presence_updates.tracker is made.presence
    assert made.presence.watch is made.redis_watch
    assert made.redis_watch.before == made.hub.redis_recovered


def test_the_process_of_a_closed_loop_is_let_go():
    made: list[weakref.ref] = []

    async def use():
        made.append(weakref.ref(process()))

    asyncio.run(use())
    asyncio.run(use())  # a new loop makes its own; the closed one's goes
    assert made[0]() is None
    assert made[1]() is not None


async def test_detached_work_runs_to_its_end():
    done = asyncio.Event()

    async def work():
        await asyncio.sleep(0)
        done.set()

    detach(work())
    await asyncio.wait_for(done.wait(), 5)
    assert done.is_set()
