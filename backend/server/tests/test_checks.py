"""Start-up checks of what the server needs from Daphne, autobahn and Twisted."""

import re

import pytest
from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from autobahn.websocket.protocol import WebSocketServerProtocol
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol as DaphneWebSocketProtocol
from twisted.internet.abstract import FileDescriptor
from twisted.web.http import HTTPChannel

from server import checks, worker
from server.supervisor import EXIT_CANNOT_START
from server.tests.helpers import BACKEND_DIR

REQUIREMENTS_DIR = BACKEND_DIR.parent / "requirements"


def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([^\s#]+)", line)
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def test_the_installed_dependencies_pass():
    checks.check_dependencies()


@pytest.mark.parametrize("name", ["base.in", "base.txt"])
def test_the_checked_versions_are_the_pinned_ones(name):
    pins = _pins(REQUIREMENTS_DIR / name)
    assert {package: pins.get(package) for package in checks.CHECKED_VERSIONS} == (
        checks.CHECKED_VERSIONS
    )


def _no_op(self):
    return None


def _reads_the_handshake_host_later(self):
    return self.http_request_host


def _reads_the_send_queue(self):
    return self.send_queue


BREAKAGES = {
    "send_queue": lambda mp: mp.setattr(AutobahnProtocol, "onMessageBegin", _reads_the_send_queue),
    "CONFIG_ATTRS": lambda mp: mp.setattr(AutobahnProtocol, "_connectionMade", _no_op),
    "HANDSHAKE_ONLY": lambda mp: mp.setattr(
        AutobahnProtocol, "onMessageEnd", _reads_the_handshake_host_later
    ),
    "sendCloseFrame": lambda mp: mp.delattr(AutobahnProtocol, "sendCloseFrame"),
    "closeHandshakeTimeout": lambda mp: mp.setattr(
        WebSocketServerProtocol,
        "CONFIG_ATTRS",
        [name for name in WebSocketServerProtocol.CONFIG_ATTRS if name != "closeHandshakeTimeout"],
    ),
    "http_request_data": lambda mp: mp.setattr(WebSocketServerProtocol, "processHandshake", _no_op),
    "websocket_extensions_in_use": lambda mp: mp.setattr(
        WebSocketServerProtocol, "succeedHandshake", _no_op
    ),
    "serverClose": lambda mp: mp.setattr(DaphneWebSocketProtocol, "handle_reply", _no_op),
    "create_application": lambda mp: mp.setattr(DaphneWebSocketProtocol, "onConnect", _no_op),
    "ws_factory": lambda mp: mp.setattr(Server, "run", _no_op),
    "listen_success": lambda mp: mp.setattr(Server, "run", _no_op),
    "application_instance": lambda mp: mp.setattr(Server, "kill_all_applications", _no_op),
    "http_factory": lambda mp: mp.setattr(Server, "run", _no_op),
    "_path": lambda mp: mp.setattr(HTTPChannel, "lineReceived", _no_op),
    "gotLength": lambda mp: mp.setattr(HTTPChannel, "allHeadersReceived", _no_op),
    "_tempDataLen": lambda mp: mp.setattr(FileDescriptor, "doWrite", _no_op),
    "bufferSize": lambda mp: mp.delattr(FileDescriptor, "bufferSize"),
}
PACKAGE_OF = {
    "send_queue": "autobahn",
    "CONFIG_ATTRS": "autobahn",
    "HANDSHAKE_ONLY": "autobahn",
    "sendCloseFrame": "autobahn",
    "closeHandshakeTimeout": "autobahn",
    "http_request_data": "autobahn",
    "websocket_extensions_in_use": "autobahn",
    "serverClose": "daphne",
    "create_application": "daphne",
    "ws_factory": "daphne",
    "listen_success": "daphne",
    "application_instance": "daphne",
    "http_factory": "daphne",
    "_path": "twisted",
    "gotLength": "twisted",
    "_tempDataLen": "twisted",
    "bufferSize": "twisted",
}


@pytest.mark.parametrize("attribute", list(BREAKAGES))
def test_a_missing_attribute_fails_loudly_naming_it_and_the_pinned_version(monkeypatch, attribute):
    BREAKAGES[attribute](monkeypatch)
    with pytest.raises(RuntimeError) as failed:
        checks.check_dependencies()
    package = PACKAGE_OF[attribute]
    assert attribute in str(failed.value)
    assert f"{package}=={checks.CHECKED_VERSIONS[package]}" in str(failed.value)


def test_a_worker_does_not_start_when_a_check_fails(monkeypatch, capsys):
    monkeypatch.delattr(AutobahnProtocol, "sendCloseFrame")
    monkeypatch.setattr(worker.sys, "setswitchinterval", lambda interval: None)
    assert worker.run_worker(fd=-1) == EXIT_CANNOT_START
    error = capsys.readouterr().err
    assert "sendCloseFrame" in error and "can't start" in error
