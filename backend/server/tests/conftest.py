"""A worker's server and WebSocket connections without a running reactor or socket.

``upgrade()`` takes a connection through Daphne's own HTTP upgrade onto an
in-memory transport, so the code under test meets the same Daphne, autobahn
and Twisted objects as in a worker; a fake clock stands in for the reactor's.
"""

import re
from dataclasses import dataclass

import pytest
from daphne.http_protocol import HTTPFactory
from daphne.ws_protocol import WebSocketFactory
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from server.http import BodyLimit, BodyLimits
from server.tests.helpers import BOUND
from server.websocket import SendLimits
from server.worker import WorkerServer

# The body limits of the in-memory server: any path, and /upload/.
BODY_MAX = 1024
UPLOAD_MAX = 4096

HANDSHAKE = (
    b"GET /ws/chat/lobby/ HTTP/1.1\r\n"
    b"Host: testserver\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
)


async def _idle_application(scope, receive, send):
    await receive()


@dataclass
class Upgraded:
    protocol: object
    transport: StringTransport
    channel: object
    producer_before_upgrade: object

    def accept(self) -> None:
        self.protocol.handle_reply({"type": "websocket.accept"})

    def written_after_handshake(self) -> bytes:
        return self.transport.value().split(b"\r\n\r\n", 1)[1]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def worker_server(clock) -> WorkerServer:
    """A WorkerServer as its run() leaves it before the reactor starts (nothing listening)."""
    server = WorkerServer(
        application=_idle_application,
        endpoints=["tcp:0"],
        send_limits=SendLimits(max_bytes=BOUND, clock=clock),
        body_limits=BodyLimits(
            BodyLimit(BODY_MAX),
            ((re.compile(rb"/upload/"), BodyLimit(UPLOAD_MAX, "file_too_large")),),
        ),
    )
    server.connections = {}
    server.http_factory = HTTPFactory(server)
    server.ws_factory = WebSocketFactory(server, server="test")
    return server


@pytest.fixture
def upgrade(worker_server):
    """Open a WebSocket as a client does: an HTTP request that Daphne upgrades."""

    def connect(extra_headers: bytes = b"") -> Upgraded:
        channel = HTTPFactory(worker_server).buildProtocol(IPv4Address("TCP", "127.0.0.1", 50000))
        transport = StringTransport()
        channel.makeConnection(transport)
        producer_before_upgrade = transport.producer
        channel.dataReceived(HANDSHAKE + extra_headers + b"\r\n")
        return Upgraded(transport.protocol, transport, channel, producer_before_upgrade)

    return connect
