"""The worker's HTTP protocol: a body over its path's limit is answered 413 unread."""

import json

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.testing import StringTransport

from server.http import LINGER_SECONDS, BodyLimit
from server.tests.conftest import BODY_MAX, UPLOAD_MAX


class HalfClosingTransport(StringTransport):
    """A TCP transport as far as a refusal uses one: it can close its writing side."""

    write_closed = False
    aborted = False

    def loseWriteConnection(self):
        self.write_closed = True

    def abortConnection(self):
        self.aborted = True


@pytest.fixture
def connect(worker_server):
    def open_channel(transport_class=HalfClosingTransport):
        channel = worker_server.http_factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 50000))
        transport = transport_class()
        channel.makeConnection(transport)
        return channel, transport

    return open_channel


def _head(path: bytes, *headers: bytes) -> bytes:
    return b"POST %s HTTP/1.1\r\nHost: testserver\r\n%s\r\n" % (
        path,
        b"".join(header + b"\r\n" for header in headers),
    )


def _answer(transport) -> tuple[bytes, dict]:
    head, body = transport.value().split(b"\r\n\r\n", 1)
    return head.split(b"\r\n", 1)[0], json.loads(body)


def _started_applications(worker_server) -> int:
    return sum("application_instance" in details for details in worker_server.connections.values())


async def test_a_body_declared_over_the_limit_is_answered_413_before_any_of_it_arrives(
    connect, worker_server
):
    channel, transport = connect()
    channel.dataReceived(_head(b"/api/anything/", b"Content-Length: %d" % (2**30)))
    status, body = _answer(transport)
    assert status == b"HTTP/1.1 413 Content Too Large"
    assert body["type"] == "error" and body["code"] == "body_too_large"
    assert f"{BODY_MAX:,} bytes" in body["detail"]
    assert transport.write_closed
    assert _started_applications(worker_server) == 0


async def test_what_a_refused_client_goes_on_sending_is_dropped_and_never_reaches_the_application(
    connect, worker_server
):
    channel, transport = connect()
    channel.dataReceived(_head(b"/x/", b"Content-Length: %d" % (BODY_MAX + 1)))
    written = transport.value()
    channel.dataReceived(b"a" * (BODY_MAX + 1))  # the whole body, after all
    assert transport.value() == written
    assert _started_applications(worker_server) == 0


async def test_a_refused_client_that_goes_on_sending_is_cut_off_after_the_linger(connect, clock):
    channel, transport = connect()
    channel.dataReceived(_head(b"/x/", b"Content-Length: %d" % (BODY_MAX * 10)))
    clock.advance(LINGER_SECONDS - 0.1)
    assert not transport.aborted
    clock.advance(0.2)
    assert transport.aborted


async def test_a_client_that_leaves_after_the_refusal_leaves_no_timer_behind(connect, clock):
    channel, transport = connect()
    channel.dataReceived(_head(b"/x/", b"Content-Length: %d" % (BODY_MAX * 10)))
    channel.connectionLost(None)
    assert clock.getDelayedCalls() == []


async def test_a_chunked_body_is_refused_at_the_chunk_that_passes_the_limit(connect, worker_server):
    channel, transport = connect()
    channel.dataReceived(_head(b"/x/", b"Transfer-Encoding: chunked"))
    chunk = b"%x\r\n%s\r\n" % (BODY_MAX // 2, b"a" * (BODY_MAX // 2))
    channel.dataReceived(chunk + chunk)  # exactly the limit: still reading
    assert transport.value() == b""
    channel.dataReceived(b"1\r\na\r\n")
    status, body = _answer(transport)
    assert status.startswith(b"HTTP/1.1 413")
    assert body["code"] == "body_too_large"
    assert _started_applications(worker_server) == 0


async def test_a_refused_client_that_expected_100_continue_is_not_told_to_continue(connect):
    channel, transport = connect()
    channel.dataReceived(
        _head(b"/x/", b"Content-Length: %d" % (BODY_MAX + 1), b"Expect: 100-continue")
    )
    assert b"100 Continue" not in transport.value()
    assert transport.value().startswith(b"HTTP/1.1 413")


async def test_the_upload_path_has_its_own_larger_limit_and_refusal(connect, worker_server):
    channel, transport = connect()
    channel.dataReceived(_head(b"/upload/?room=a", b"Content-Length: %d" % (UPLOAD_MAX + 1)))
    assert _answer(transport)[1]["code"] == "file_too_large"

    channel, transport = connect()
    channel.dataReceived(_head(b"/upload/", b"Content-Length: %d" % UPLOAD_MAX) + b"a" * UPLOAD_MAX)
    assert transport.value() == b""
    assert _started_applications(worker_server) == 1


async def test_a_body_within_the_limit_reaches_the_application_unparsed(connect, worker_server):
    channel, transport = connect()
    form = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        + b"a" * 100
        + b"\r\n--b--\r\n"
    )
    channel.dataReceived(
        _head(
            b"/x/",
            b"Content-Type: multipart/form-data; boundary=b",
            b"Content-Length: %d" % len(form),
        )
        + form
    )
    (request,) = (request for request, details in worker_server.connections.items() if details)
    assert request.args == {}  # Twisted kept no parsed copy of the upload beside it
    assert request.content.getvalue() == form


async def test_without_a_half_close_the_refusal_closes_the_connection(connect):
    channel, transport = connect(StringTransport)
    channel.dataReceived(_head(b"/x/", b"Content-Length: %d" % (BODY_MAX + 1)))
    assert transport.value().startswith(b"HTTP/1.1 413")
    assert transport.disconnecting


def test_a_limit_without_a_detail_names_its_size():
    body = json.loads(BodyLimit(2048).refusal().split(b"\r\n\r\n", 1)[1])
    assert body == {
        "type": "error",
        "code": "body_too_large",
        "detail": "The request's body is over 2,048 bytes.",
    }
