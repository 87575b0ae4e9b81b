"""The WebSocket itself: origin checks, close codes, and reconnecting after the server drops."""

import asyncio
import json
import socket

import pytest
import websockets
from playwright.sync_api import BrowserContext, expect

from devtools.waiting import free_port
from e2e.pages import tabs
from e2e.ws_client import run


def _handshake_status(host: str, port: int, origin: str) -> int:
    request = (
        "GET /ws/chat/lobby/ HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request.encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_a_cross_origin_websocket_handshake_gets_403(chat_server):
    assert _handshake_status(chat_server.host, chat_server.port, "http://evil.example") == 403


def test_a_same_origin_websocket_handshake_is_accepted(chat_server):
    origin = chat_server.base_url
    assert _handshake_status(chat_server.host, chat_server.port, origin) == 101


def test_the_page_reconnects_after_the_server_restarts(context: BrowserContext, chat_server):
    first, second = tabs(context, "comeback")
    chat_server.stop()
    expect(first.status).to_have_attribute("data-state", "closed")
    chat_server.start()
    first.expect_connected()
    second.expect_connected()
    first.send("back again")
    second.expect_messages("back again")


def test_without_redis_a_websocket_is_told_why_and_closed_with_1013(start_server):
    server = start_server(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens

    async def scenario() -> None:
        url = server.base_url.replace("http://", "ws://") + "/ws/chat/lobby/"
        async with websockets.connect(url, origin=server.base_url) as connection:
            error = json.loads(await asyncio.wait_for(connection.recv(), 10))
            assert error["type"] == "error" and error["code"] == "unavailable"
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(connection.recv(), 10)
        assert connection.close_code == 1013

    run(scenario())
