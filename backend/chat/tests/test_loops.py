"""One object per event loop, and work that outlives its connection."""

import asyncio
import weakref

from chat.loops import detach, per_event_loop


def test_each_loop_gets_its_own_object_and_keeps_it():
    @per_event_loop
    def thing() -> object:
        return object()

    async def twice():
        return thing(), thing()

    first, again = asyncio.run(twice())
    other, _ = asyncio.run(twice())
    assert first is again
    assert other is not first


def test_the_objects_of_closed_loops_are_let_go():
    class Thing:
        pass

    @per_event_loop
    def thing() -> Thing:
        return Thing()

    made: list[weakref.ref] = []

    async def use():
        made.append(weakref.ref(thing()))

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
