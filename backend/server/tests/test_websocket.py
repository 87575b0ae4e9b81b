"""The bounded WebSocket protocol, driven through Daphne's upgrade on an in-memory transport."""

import asyncio
import sys
from collections import deque

import pytest
from twisted.internet.testing import StringTransport
from twisted.web.http import HTTPChannel

from chat.protocol import CloseCode
from chat.realtime.asgi import drain_waiter
from server.frames import text_frame
from server.tests.helpers import BINARY, BOUND, TEXT, Frame, close_code, parse_frames
from server.websocket import (
    DRAIN_EXTENSION,
    FAR_PAST_FACTOR,
    HANDSHAKE_ONLY,
    MEMORY_RELEASE_DELAY_SECONDS,
    SLOW_CLOSE_TIMEOUT_SECONDS,
    SLOW_GRACE_SECONDS,
    BoundedWebSocketProtocol,
    Handshake,
    MemoryRelease,
    SendLimits,
    SlowReaderGuard,
    register_streaming_producer,
)


@pytest.fixture
def guard_calls(clock):
    calls = []
    guard = SlowReaderGuard(SendLimits(max_bytes=1000, clock=clock), lambda: calls.append("cut"))
    return guard, calls


# The guard alone, with a fake clock


def test_a_guard_paused_for_the_grace_period_cuts_off_once(clock, guard_calls):
    guard, calls = guard_calls
    guard.pauseProducing()
    clock.advance(SLOW_GRACE_SECONDS - 0.1)
    assert calls == []
    clock.advance(0.2)
    assert calls == ["cut"]
    guard.pauseProducing()  # the close frame's write pauses it again
    clock.advance(SLOW_GRACE_SECONDS * 2)
    assert calls == ["cut"]


def test_a_guard_resumed_within_the_grace_period_does_nothing(clock, guard_calls):
    guard, calls = guard_calls
    guard.pauseProducing()
    clock.advance(SLOW_GRACE_SECONDS - 0.1)
    guard.resumeProducing()
    clock.advance(SLOW_GRACE_SECONDS * 2)
    assert calls == [] and not guard.paused and not clock.getDelayedCalls()


def test_repeated_pauses_keep_the_first_deadline(clock, guard_calls):
    guard, calls = guard_calls
    guard.pauseProducing()
    clock.advance(1.5)
    guard.pauseProducing()  # the transport pauses on every write while over the bound
    clock.advance(0.6)
    assert calls == ["cut"]


def test_writing_far_past_the_bound_while_paused_cuts_off_at_once(guard_calls):
    guard, calls = guard_calls
    assert guard.admit(10_000)  # not paused: anything goes
    guard.pauseProducing()
    far_past = (FAR_PAST_FACTOR - 1) * 1000
    assert guard.admit(far_past)
    assert not guard.admit(1)
    assert calls == ["cut"]
    assert not guard.admit(1)


def test_a_guard_whose_connection_is_gone_never_cuts_off(clock, guard_calls):
    guard, calls = guard_calls
    guard.pauseProducing()
    guard.stopProducing()
    clock.advance(SLOW_GRACE_SECONDS * 2)
    assert calls == [] and not clock.getDelayedCalls()


def test_a_producer_already_on_the_transport_gives_way():
    transport = StringTransport()
    earlier, ours = object(), object()
    transport.registerProducer(earlier, True)
    register_streaming_producer(transport, ours)
    assert transport.producer is ours and transport.streaming
    other = StringTransport()
    register_streaming_producer(other, ours)
    assert other.producer is ours


async def test_drained_waits_while_paused_and_is_true_once_resumed(guard_calls):
    guard, _ = guard_calls
    assert await guard.drained()  # not paused: at once
    guard.pauseProducing()
    waiting = guard.drained()
    assert not waiting.done()
    guard.resumeProducing()
    assert waiting.done() and waiting.result() is True


@pytest.mark.parametrize("end", ["cut off", "gone"])
async def test_drained_is_false_once_the_client_is_cut_off_or_gone(clock, guard_calls, end):
    guard, _ = guard_calls
    guard.pauseProducing()
    waiting = guard.drained()
    if end == "cut off":
        clock.advance(SLOW_GRACE_SECONDS + 0.1)
    else:
        guard.stopProducing()
    assert waiting.done() and waiting.result() is False
    assert await guard.drained() is False


# The protocol, through Daphne's upgrade


async def test_after_the_upgrade_the_guard_replaces_the_http_channel_as_producer(upgrade):
    upgraded = upgrade()
    # What Daphne leaves registered on the transport: Twisted's HTTP channel.
    assert isinstance(upgraded.producer_before_upgrade, HTTPChannel)
    assert isinstance(upgraded.protocol, BoundedWebSocketProtocol)
    assert upgraded.transport.producer is upgraded.protocol.guard
    assert upgraded.transport.streaming


async def test_the_transport_pauses_at_the_configured_bound(upgrade):
    upgraded = upgrade()
    assert upgraded.transport.bufferSize == BOUND


async def test_a_text_goes_out_as_one_frame_built_once(upgrade):
    first, second = upgrade(), upgrade()
    first.accept()
    second.accept()
    text = "".join(["hello ", "everyone"])  # one object, as a broadcast hands out
    first.protocol.handle_reply({"type": "websocket.send", "text": text})
    second.protocol.handle_reply({"type": "websocket.send", "text": text})
    assert parse_frames(first.written_after_handshake()) == [Frame(TEXT, text.encode())]
    assert second.written_after_handshake() == text_frame(text.encode())
    assert BoundedWebSocketProtocol.frames.framed(text) is BoundedWebSocketProtocol.frames.framed(
        text
    )


async def test_binary_content_goes_through_autobahn(upgrade):
    upgraded = upgrade()
    upgraded.accept()
    upgraded.protocol.handle_reply({"type": "websocket.send", "bytes": b"\x00\x01"})
    [frame] = parse_frames(upgraded.written_after_handshake())
    assert frame == Frame(BINARY, b"\x00\x01")


async def test_nothing_is_sent_before_the_connection_is_open(upgrade):
    upgraded = upgrade()
    written = upgraded.transport.value()
    upgraded.protocol.serverSend("too early")
    assert upgraded.transport.value() == written


async def test_once_open_the_handshake_request_is_let_go(upgrade, worker_server):
    upgraded = upgrade()
    upgraded.accept()
    protocol = upgraded.protocol
    assert protocol.request == Handshake("/ws/chat/lobby/")
    assert protocol.http_request_data is None and protocol.http_headers is None
    assert protocol in worker_server.open_websockets


async def test_an_open_idle_connection_keeps_a_small_attribute_dict(upgrade):
    upgraded = upgrade()
    upgraded.accept()
    kept = upgraded.protocol.__dict__
    assert len(kept) <= 32, sorted(kept)
    assert sys.getsizeof(kept) <= 1024
    assert not {"http_headers", "clean_headers", "closeHandshakeTimeout", "send_queue"} & set(kept)


async def test_what_the_handshake_alone_needed_reads_none_once_open(upgrade):
    upgraded = upgrade()
    upgraded.accept()
    protocol = upgraded.protocol
    assert [getattr(protocol, name) for name in HANDSHAKE_ONLY] == [None] * len(HANDSHAKE_ONLY)
    assert protocol.wasClean is False and protocol.localCloseCode is None


async def test_a_connection_reads_its_settings_from_its_factory_until_given_its_own(upgrade):
    first, second = upgrade(), upgrade()
    first.accept()
    second.accept()
    factory = first.protocol.factory
    assert first.protocol.closeHandshakeTimeout == factory.closeHandshakeTimeout
    first.protocol.cut_off_slow_reader()
    assert first.protocol.closeHandshakeTimeout == SLOW_CLOSE_TIMEOUT_SECONDS
    assert second.protocol.closeHandshakeTimeout == factory.closeHandshakeTimeout
    assert factory.closeHandshakeTimeout != SLOW_CLOSE_TIMEOUT_SECONDS


async def test_a_send_queue_is_made_when_something_is_queued(upgrade):
    upgraded = upgrade()
    upgraded.accept()
    protocol = upgraded.protocol
    assert "send_queue" not in protocol.__dict__
    protocol.send_queue.append((b"queued", True))
    assert list(protocol.send_queue) == [(b"queued", True)]
    protocol.send_queue = deque()
    assert "send_queue" not in protocol.__dict__


async def test_compression_offers_are_refused(upgrade):
    upgraded = upgrade(b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")
    upgraded.accept()
    response = upgraded.transport.value().split(b"\r\n\r\n", 1)[0]
    assert b"sec-websocket-extensions" not in response.lower()
    assert upgraded.protocol.websocket_extensions_in_use == []
    assert not upgraded.protocol.compressing


@pytest.mark.parametrize("code", list(CloseCode))
async def test_every_chat_close_code_goes_out_as_it_is(upgrade, code):
    upgraded = upgrade()
    upgraded.accept()
    upgraded.protocol.handle_reply({"type": "websocket.close", "code": code})
    [frame] = parse_frames(upgraded.written_after_handshake())
    assert close_code(frame) == code


@pytest.mark.parametrize(("asked", "sent"), [(None, 1000), (1005, 1011), (2999, 1011)])
async def test_a_close_without_a_code_or_with_one_a_server_cant_send(upgrade, asked, sent):
    upgraded = upgrade()
    upgraded.accept()
    upgraded.protocol.serverClose(code=asked)
    [frame] = parse_frames(upgraded.written_after_handshake())
    assert close_code(frame) == sent


async def test_a_client_paused_past_the_grace_is_cut_off_even_in_a_quiet_room(upgrade, clock):
    upgraded = upgrade()
    upgraded.accept()
    protocol = upgraded.protocol
    upgraded.transport.producer.pauseProducing()  # as the transport does past bufferSize
    clock.advance(SLOW_GRACE_SECONDS + 0.1)  # and nothing more is sent
    [frame] = parse_frames(upgraded.written_after_handshake())
    assert close_code(frame) == CloseCode.TOO_SLOW
    assert protocol.state == protocol.STATE_CLOSING
    assert protocol.closeHandshakeTimeout == SLOW_CLOSE_TIMEOUT_SECONDS


async def test_a_client_that_catches_up_is_kept(upgrade, clock):
    upgraded = upgrade()
    upgraded.accept()
    upgraded.transport.producer.pauseProducing()
    clock.advance(SLOW_GRACE_SECONDS - 0.5)
    upgraded.transport.producer.resumeProducing()  # the buffer drained
    clock.advance(SLOW_GRACE_SECONDS)
    assert upgraded.written_after_handshake() == b""
    assert upgraded.protocol.state == upgraded.protocol.STATE_OPEN


async def test_sending_far_past_the_bound_cuts_off_without_waiting(upgrade):
    upgraded = upgrade()
    upgraded.accept()
    protocol = upgraded.protocol
    upgraded.transport.producer.pauseProducing()
    text = "x" * (BOUND - 10)
    sent = 0
    while protocol.state == protocol.STATE_OPEN:
        protocol.handle_reply({"type": "websocket.send", "text": text})
        sent += 1
    frames = parse_frames(upgraded.written_after_handshake())
    assert close_code(frames[-1]) == CloseCode.TOO_SLOW
    assert len(frames) - 1 == FAR_PAST_FACTOR - 1 == sent - 1  # the last text was not sent


async def test_a_client_too_slow_to_finish_its_handshake_is_dropped(upgrade, clock):
    upgraded = upgrade()  # not accepted yet
    upgraded.transport.producer.pauseProducing()
    clock.advance(SLOW_GRACE_SECONDS + 0.1)
    assert upgraded.transport.disconnecting


async def test_the_scope_offers_the_connections_drain_to_its_session(upgrade, worker_server):
    scopes = []

    def application(scope, receive, send):
        scopes.append(scope)
        return receive()

    worker_server.application = application
    upgraded = upgrade()
    upgraded.accept()
    [scope] = scopes
    assert scope["extensions"][DRAIN_EXTENSION] == {"drained": upgraded.protocol.drained}
    drained = drain_waiter(scope)  # as the session gets it
    upgraded.transport.producer.pauseProducing()  # the client stopped reading
    waiting = drained()
    assert not waiting.done()
    upgraded.transport.producer.resumeProducing()  # and caught up
    assert await asyncio.wait_for(waiting, timeout=5)
    upgraded.transport.producer.stopProducing()  # the connection is gone
    assert await drained() is False


def test_memory_is_released_once_a_moment_after_slow_readers_end(clock):
    trims = []
    release = MemoryRelease(clock, lambda pad: trims.append(pad) or 1)
    release.soon()
    release.soon()  # a second one ending meanwhile shares the release
    clock.advance(MEMORY_RELEASE_DELAY_SECONDS)
    assert trims == [0]
    release.soon()
    clock.advance(MEMORY_RELEASE_DELAY_SECONDS)
    assert trims == [0, 0]


async def test_a_lost_connection_lets_go_of_its_unsent_frames(upgrade, worker_server):
    upgraded = upgrade()
    protocol, transport = upgraded.protocol, upgraded.transport
    transport.dataBuffer, transport._tempDataBuffer = b"x" * 100, [b"y" * 100]
    transport._tempDataLen, transport.offset, transport.disconnected = 100, 0, True
    protocol.onClose(False, 1006, None)
    assert (transport.dataBuffer, transport._tempDataBuffer, transport._tempDataLen) == (b"", [], 0)


async def test_a_handshake_formats_autobahns_settings_only_when_they_are_logged(
    upgrade, monkeypatch
):
    import autobahn.websocket.protocol as autobahn_protocol

    from server.websocket import FormattedWhenWritten, format_autobahn_settings_only_when_logged

    formatted = []
    monkeypatch.setattr("pprint.pformat", lambda value, *a, **k: formatted.append(value) or "")
    monkeypatch.setattr(autobahn_protocol, "pformat", autobahn_protocol.pformat)
    format_autobahn_settings_only_when_logged()
    logged = []
    monkeypatch.setattr(
        BoundedWebSocketProtocol, "log", _Log(logged), raising=False
    )  # autobahn's debug lines, as a logger that writes them would
    upgrade()
    assert formatted == []  # nothing formatted for the handshake itself
    settings = next(kw["attrs"] for _, kw in logged if "attrs" in kw)
    assert isinstance(settings, FormattedWhenWritten)
    str(settings)  # written out: formatted then, with every setting
    assert any(name == "closeHandshakeTimeout" for name, *_ in formatted[0])


class _Log:
    """A stand-in for autobahn's txaio logger that keeps its debug calls."""

    def __init__(self, calls):
        self.calls = calls

    def debug(self, text, **kwargs):
        self.calls.append((text, kwargs))

    def __getattr__(self, name):
        return lambda *args, **kwargs: None
