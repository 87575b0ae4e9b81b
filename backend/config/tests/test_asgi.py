"""WebSocket handshakes: admitted only from the chat's own origin, port and scheme included."""

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _admitted(origin: str | None, host: str = "127.0.0.1:8000", **headers: str) -> bool:
    sent = [(b"host", host.encode())]
    if origin is not None:
        sent.append((b"origin", origin.encode()))
    sent += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    communicator = WebsocketCommunicator(application, "/ws/chat/origin/", headers=sent)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


async def test_the_page_own_origin_is_admitted():
    assert await _admitted("http://127.0.0.1:8000")


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port of the same host
        "http://127.0.0.1",  # port 80
        "https://127.0.0.1:8000",  # another scheme
        "http://localhost:8000",  # another host, even one that is served
        "http://evil.example:8000",
        "null",
        "not a url",
        "",
    ],
)
async def test_another_origin_is_refused(origin):
    assert not await _admitted(origin)


async def test_a_handshake_without_origin_is_refused():
    assert not await _admitted(None)


async def test_a_host_not_served_is_refused_even_from_its_own_origin():
    assert not await _admitted("http://evil.example:8000", host="evil.example:8000")


async def test_default_ports_compare_equal():
    assert await _admitted("http://localhost", host="localhost:80")


async def test_a_trusted_origin_is_admitted(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["http://localhost:8080", "https://*.example.com"]
    assert await _admitted("http://localhost:8080", host="localhost")
    assert await _admitted("https://chat.example.com", host="localhost")
    assert not await _admitted("http://chat.example.com", host="localhost")
    assert not await _admitted("http://localhost:8081", host="localhost")


async def test_https_behind_a_trusted_proxy_is_its_own_origin(settings):
    proxied = {"x_forwarded_proto": "https"}
    assert not await _admitted("https://localhost", host="localhost", **proxied)
    settings.CHAT_TRUST_PROXY_HEADERS = True
    assert await _admitted("https://localhost", host="localhost", **proxied)
    assert not await _admitted("http://localhost", host="localhost", **proxied)
