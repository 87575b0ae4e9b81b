"""Messages posted while Redis is down are stored, acknowledged and caught up."""

import copy
import tempfile
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import override_settings

from chat.models import Message
from devtools.redis_server import RedisServer, server_binary
from devtools.waiting import free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def own_redis():
    """A Redis for this test alone, so it can be stopped and started again."""
    with tempfile.TemporaryDirectory(prefix="chat-test-redis-") as data_dir:
        server = RedisServer(server_binary()[0], free_port(), Path(data_dir)).start()
        layers = copy.deepcopy(settings.CHANNEL_LAYERS)
        layers["default"]["CONFIG"]["hosts"] = [server.url]
        with override_settings(CHANNEL_LAYERS=layers, REDIS_URL=server.url):
            yield server
        server.stop()


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
