"""The hub: one channel-layer member per process, fanning broadcasts out to connections."""

import asyncio
import contextlib

import pytest
import redis.asyncio as aioredis
from channels.layers import get_channel_layer

from chat.protocol import events
from chat.ratelimit import connections_per_ip, connections_per_person
from chat.realtime.hub import Hub, hub
from chat.services.broadcast import PEOPLE_GROUP, person_address, room_address, send_to
from chat.tests.helpers import HOST, ORIGIN, ChatClient, eventually


class Recorder:
    """Stands in for a connection: remembers every broadcast it is handed."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def group_message(self, message: dict) -> bool:
        self.messages.append(message)
        return True


async def test_each_member_gets_a_broadcast_once():
    hub = Hub(get_channel_layer())
    first, second = Recorder(), Recorder()
    await hub.join(room_address("hub-once"), first)
    await hub.join(room_address("hub-once"), second)
    await send_to(room_address("hub-once"), {"type": events.GROUP_EVENT_TYPE, "text": "hello"})
    await eventually(lambda: first.messages and second.messages, what="both members")
    await send_to(room_address("hub-once"), {"type": events.GROUP_EVENT_TYPE, "text": "again"})
    await eventually(
        lambda: len(first.messages) == 2 and len(second.messages) == 2, what="the second"
    )
    assert [m["text"] for m in first.messages] == ["hello", "again"]
    assert first.messages == second.messages


async def test_a_member_that_left_gets_nothing_more():
    hub = Hub(get_channel_layer())
    staying, leaving = Recorder(), Recorder()
    await hub.join(room_address("hub-leave"), staying)
    await hub.join(room_address("hub-leave"), leaving)
    hub.leave(room_address("hub-leave"), leaving)
    await send_to(room_address("hub-leave"), {"type": events.GROUP_EVENT_TYPE, "text": "after"})
    await eventually(lambda: staying.messages, what="the member that stayed")
    assert leaving.messages == []


async def test_the_process_subscribes_once_per_group_and_leaves_with_the_last_member(redis_url):
    hub = Hub(get_channel_layer())
    members = [Recorder() for _ in range(3)]
    for member in members:
        await hub.join(room_address("hub-subscribe"), member)
    redis = aioredis.Redis.from_url(redis_url)
    try:
        channels = await redis.pubsub_channels(f"*{room_address('hub-subscribe').group}*")
        assert len(channels) == 1
        assert await redis.pubsub_numsub(channels[0]) == [(channels[0], 1)]
        for member in members:
            hub.leave(room_address("hub-subscribe"), member)

        async def unsubscribed() -> bool:
            return await redis.pubsub_numsub(channels[0]) == [(channels[0], 0)]

        await eventually(unsubscribed, what="the process to unsubscribe")
    finally:
        await redis.aclose()


async def test_a_message_to_a_person_reaches_only_their_connections(redis_url):
    hub = Hub(get_channel_layer())
    tabs = [Recorder(), Recorder()]
    other = Recorder()
    for tab in tabs:
        await hub.join(person_address("guest:tabs"), tab)
    await hub.join(person_address("guest:other"), other)
    await send_to(person_address("guest:tabs"), {"type": events.GROUP_EVENT_TYPE, "text": "you"})
    await eventually(lambda: all(tab.messages for tab in tabs), what="both tabs")
    assert other.messages == []
    # Everyone shares one subscription.
    redis = aioredis.Redis.from_url(redis_url)
    try:
        channels = await redis.pubsub_channels(f"*{person_address('guest:tabs').group}*")
        assert len(channels) == 1
        assert await redis.pubsub_numsub(channels[0]) == [(channels[0], 1)]
    finally:
        await redis.aclose()


async def test_peoples_notices_are_followed_for_good_once_followed(redis_url):
    hub = Hub(get_channel_layer())
    tab = Recorder()
    await hub.join(person_address("guest:once"), tab)
    hub.leave(person_address("guest:once"), tab)  # the process's last connection goes
    assert hub.follows(PEOPLE_GROUP) and not hub._unsubscribing
    changes = hub.known.changes
    await hub.follow_people()  # already: nothing subscribes anew, nothing counts as changed
    await hub.join(person_address("guest:again"), Recorder())
    assert hub.known.changes == changes
    redis = aioredis.Redis.from_url(redis_url)
    try:
        channels = await redis.pubsub_channels(f"*{PEOPLE_GROUP}*")
        assert [await redis.pubsub_numsub(c) for c in channels] == [[(channels[0], 1)]]
    finally:
        await redis.aclose()


async def test_joining_again_while_unsubscribing_keeps_the_subscription():
    hub = Hub(get_channel_layer())
    first, second = Recorder(), Recorder()
    await hub.join(room_address("hub-rejoin"), first)
    hub.leave(room_address("hub-rejoin"), first)  # the unsubscribe is under way
    await hub.join(room_address("hub-rejoin"), second)
    await asyncio.gather(*hub._unsubscribing)  # it ran, and found it wasn't wanted
    await send_to(room_address("hub-rejoin"), {"type": events.GROUP_EVENT_TYPE, "text": "x"})
    await eventually(lambda: second.messages, what="the member that joined again")
    assert first.messages == []


async def test_one_failing_member_does_not_stop_the_others():
    class Broken:
        async def group_message(self, message: dict) -> bool:
            raise RuntimeError("this connection is broken")

    hub = Hub(get_channel_layer())
    healthy = Recorder()
    await hub.join(room_address("hub-broken"), Broken())
    await hub.join(room_address("hub-broken"), healthy)
    message = {"type": events.GROUP_EVENT_TYPE, "text": "x", "to": room_address("hub-broken").key}
    assert await hub.deliver(message) == 1
    assert healthy.messages == [message]


@pytest.mark.django_db(transaction=True)
async def test_a_connection_whose_work_is_cancelled_lets_go_of_everything():
    client = ChatClient("/ws/chat/hub-cancelled/", [ORIGIN, HOST])
    assert (await client.connect())[0]
    await client.read_until_ready()
    address = room_address("hub-cancelled")
    assert hub().members[address.key]
    assert connections_per_ip.counts
    client.communicator.future.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await client.communicator.future
    assert address.key not in hub().members
    assert not connections_per_ip.counts and not connections_per_person.counts
