"""The worker's Daphne server: its fitted factory, input queues, graceful stop, parent watch."""

import asyncio
import gc
import os
import re

import pytest
from daphne.ws_protocol import WebSocketFactory
from django.core.exceptions import RequestAborted
from twisted.internet.task import Clock

from chat.protocol import CloseCode
from server.checks import DependencyCheckError
from server.http import BodyLimit, BodyLimits, BoundedHTTPFactory
from server.input_queue import InputQueue
from server.tests.helpers import BOUND, close_code, parse_frames
from server.websocket import BoundedWebSocketProtocol, SendLimits, refuse_compression
from server.worker import (
    CLOSE_GRACE_SECONDS,
    GC_THRESHOLDS,
    GuestsExpiry,
    ParentWatch,
    WorkerServer,
    build_server,
    clients_gone_unreported,
    collect_only_what_serving_makes,
)


def test_the_factory_daphne_builds_is_fitted_as_it_is_assigned(worker_server):
    factory = worker_server.ws_factory
    assert factory.protocol is BoundedWebSocketProtocol
    assert factory.send_limits.max_bytes == BOUND
    assert factory.open_websockets is worker_server.open_websockets
    assert factory.perMessageCompressionAccept is refuse_compression
    assert isinstance(worker_server.http_factory, BoundedHTTPFactory)
    worker_server.check_fitted()


def _unfitted_server(clock) -> WorkerServer:
    return WorkerServer(
        application=None,
        endpoints=["tcp:0"],
        send_limits=SendLimits(max_bytes=1024, clock=clock),
        body_limits=BodyLimits(BodyLimit(1024)),
    )


def test_a_server_whose_factory_was_never_fitted_does_not_start(clock):
    server = _unfitted_server(clock)
    assert server.ready_callable == server.ready
    with pytest.raises(DependencyCheckError, match=r"ws_factory.*daphne==4\.2\.3"):
        server.check_fitted()


def test_a_server_whose_http_factory_was_never_replaced_does_not_start(clock):
    server = _unfitted_server(clock)
    server.ws_factory = WebSocketFactory(server, server="test")
    with pytest.raises(DependencyCheckError, match=r"http_factory.*daphne==4\.2\.3"):
        server.check_fitted()


async def test_each_connection_gets_a_light_input_queue(upgrade, worker_server):
    upgraded = upgrade()
    assert isinstance(upgraded.protocol.application_queue, InputQueue)
    details = worker_server.connections[upgraded.protocol]
    assert not details["application_instance"].done()
    details["application_instance"].cancel()


async def test_stopping_stops_listening_and_closes_open_websockets_with_service_restart(
    upgrade, worker_server
):
    class Port:
        stopped = False

        def stopListening(self):
            self.stopped = True

    port = Port()
    worker_server.listen_success(port)
    opened, connecting = upgrade(), upgrade()
    opened.accept()
    waiting = worker_server.close_websockets()
    try:
        assert port.stopped
        [frame] = parse_frames(opened.written_after_handshake())
        assert close_code(frame) == CloseCode.SERVICE_RESTART
        assert frame.data[2:] == b"server restart"
        assert b"\r\n\r\n" not in connecting.transport.value()  # never opened: left alone
    finally:
        waiting.cancel()  # the close frames' grace period, CLOSE_GRACE_SECONDS
    assert CLOSE_GRACE_SECONDS > 0


async def test_a_closed_websocket_leaves_the_open_set(upgrade, worker_server):
    upgraded = upgrade()
    upgraded.accept()
    assert upgraded.protocol in worker_server.open_websockets
    upgraded.protocol.onClose(True, 1000, None)
    assert upgraded.protocol not in worker_server.open_websockets


def test_a_worker_whose_supervisor_is_there_keeps_running():
    clock, stops = Clock(), []
    ParentWatch(os.getppid(), clock=clock, stop=lambda: stops.append(1)).start(1.0)
    clock.advance(5)
    assert stops == []


def test_a_worker_whose_supervisor_is_gone_stops_once():
    clock, stops = Clock(), []
    not_our_parent = os.getpid()
    ParentWatch(not_our_parent, clock=clock, stop=lambda: stops.append(1)).start(1.0)
    clock.advance(5)
    assert stops == [1]


def test_a_worker_deactivates_expired_guests_every_minute():
    clock, sweeps = Clock(), []
    GuestsExpiry(clock=clock, sweep=lambda: sweeps.append(clock.seconds())).start()
    clock.advance(59)
    assert sweeps == []
    clock.advance(1)
    clock.advance(60)
    assert sweeps == [60, 120]


@pytest.mark.parametrize("trust_proxy", [False, True])
def test_the_worker_server_follows_the_settings(settings, trust_proxy):
    settings.CHAT_SEND_BUFFER_MAX_BYTES = 12345
    settings.CHAT_TRUST_PROXY_HEADERS = trust_proxy
    server = build_server(fd=7)
    assert server.endpoints == ["fd:fileno=7"]
    assert server.send_limits.max_bytes == 12345
    assert server.websocket_timeout == -1
    assert re.fullmatch(r"chat-worker-[0-9a-f]{8}", server.server_name)  # not the pid
    assert (server.proxy_forwarded_address_header == "X-Forwarded-For") is trust_proxy


def test_the_worker_server_bounds_bodies_as_the_settings_say(settings):
    settings.CHAT_REQUEST_BODY_MAX_KB = 100
    settings.CHAT_UPLOAD_MAX_MB = 3
    limits = build_server(fd=7).body_limits
    assert limits.of(b"/api/rooms/general/messages/").max_bytes == 100 * 1024
    upload = limits.of(b"/api/rooms/general/attachments/?x=1")
    assert upload.max_bytes > 3 * 1024 * 1024
    assert upload.code == "file_too_large"


def test_what_start_up_made_is_left_out_of_the_cycle_collectors_passes():
    before = gc.get_threshold()
    made_at_start_up = [["settings"]]
    try:
        collect_only_what_serving_makes()
        assert not any(o is made_at_start_up for o in gc.get_objects())
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_a_request_whose_client_left_is_not_reported_but_other_errors_are(caplog):
    loop = asyncio.new_event_loop()
    try:
        clients_gone_unreported(loop, {"message": "gone", "exception": RequestAborted()})
        assert caplog.records == []
        clients_gone_unreported(loop, {"message": "broken", "exception": ValueError("x")})
        assert [record.getMessage() for record in caplog.records] == ["broken"]
    finally:
        loop.close()
