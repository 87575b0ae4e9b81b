"""Messages posted while Redis is down are stored, acknowledged and caught up."""

import pytest
from asgiref.sync import sync_to_async

from chat.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_message_sent_while_redis_is_down_reaches_everyone(own_redis, connect_room):
    sender = await connect_room("outage")
    reader = await connect_room("outage")
    await sender.post("before")
    assert (await reader.receive())["message"] == "before"

    await sync_to_async(own_redis.stop)()
    ack = await sender.post("during", nonce="d1")  # stored, acknowledged to its sender
    assert ack["seq"] == 2
    await sync_to_async(own_redis.start)()

    caught_up = await reader.receive(timeout=15)
    assert (caught_up["seq"], caught_up["message"]) == (2, "during")
    await sender.post("after")
    assert (await reader.receive(timeout=10))["message"] == "after"
    assert await reader.receive_nothing()
    count = await sync_to_async(Message.objects.filter(room__name="outage").count)()
    assert count == 3
