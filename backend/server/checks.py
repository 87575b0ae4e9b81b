"""Start-up checks of what the server needs from its dependencies beyond their documented APIs.

Each worker runs ``check_dependencies()`` before it serves anything. A missing
or renamed attribute stops it with a ``DependencyCheckError`` naming the
attribute and the version the server was checked against, instead of letting
a feature switch itself off quietly (a slow reader no longer cut off, a
restart closing WebSockets with the wrong code). The three packages are pinned
to those versions in requirements/base.in.
"""

import dataclasses
import importlib.metadata
import inspect
from collections.abc import Callable

import autobahn.websocket.protocol
from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from autobahn.websocket.protocol import WebSocketServerProtocol
from daphne.http_protocol import WebRequest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol as DaphneWebSocketProtocol
from twisted.internet.abstract import FileDescriptor
from twisted.web.http import HTTPChannel

from server.websocket import HANDSHAKE_ONLY

# The versions whose internals were read; keep in step with requirements/base.in.
CHECKED_VERSIONS = {"twisted": "26.10.0", "autobahn": "26.10.2", "daphne": "4.2.3"}


class DependencyCheckError(RuntimeError):
    """A dependency lacks something the server relies on."""


@dataclasses.dataclass(frozen=True)
class Reliance:
    package: str
    attribute: str
    use: str
    holds: Callable[[], bool]


def pinned(package: str) -> str:
    try:
        installed = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        installed = "not installed"
    return (
        f"the server was checked against {package}=={CHECKED_VERSIONS[package]} "
        f"(pinned in requirements/base.in; installed: {installed})"
    )


def _code(function):
    return inspect.unwrap(function).__code__


def _assigns_or_reads(owner, function_name: str, *names: str) -> bool:
    """Whether ``owner.function_name`` exists and its code uses the attribute ``names``."""
    function = getattr(owner, function_name, None)
    return function is not None and set(names) <= set(_code(function).co_names)


def _uses_key(owner, function_name: str, key: str) -> bool:
    """Whether ``owner.function_name`` exists and its code has the string constant ``key``."""
    function = getattr(owner, function_name, None)
    return function is not None and key in _code(function).co_consts


def _names_in(code) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names_in(const)
    return names


def _used_only_by(classes, names, methods: set[str]) -> bool:
    """Whether, of every function of ``classes``, only those named ``methods`` use the
    attributes ``names``."""
    for owner in classes:
        for function_name, function in vars(owner).items():
            if not callable(function):
                continue
            code = getattr(inspect.unwrap(function), "__code__", None)
            if code is not None and function_name not in methods and set(names) & _names_in(code):
                return False
    return True


def _send_close_frame_takes_code_and_reason() -> bool:
    method = getattr(AutobahnProtocol, "sendCloseFrame", None)
    if method is None:
        return False
    return {"code", "reasonUtf8", "isReply"} <= set(inspect.signature(method).parameters)


RELIANCES = (
    Reliance(
        "autobahn",
        "autobahn.websocket.protocol.pformat, called by WebSocketProtocol._connectionMade()",
        "the worker makes it format only when the debug line is written",
        lambda: (
            _assigns_or_reads(AutobahnProtocol, "_connectionMade", "pformat")
            and callable(getattr(autobahn.websocket.protocol, "pformat", None))
        ),
    ),
    Reliance(
        "autobahn",
        "WebSocketProtocol.sendCloseFrame(code, reasonUtf8, isReply)",
        "it sends the close codes 1011, 1012 and 1013, which sendClose() refuses",
        _send_close_frame_takes_code_and_reason,
    ),
    Reliance(
        "autobahn",
        'WebSocketServerProtocol.CONFIG_ATTRS with "closeHandshakeTimeout"',
        "a slow reader's connection gets its own, longer close timeout",
        lambda: "closeHandshakeTimeout" in getattr(WebSocketServerProtocol, "CONFIG_ATTRS", ()),
    ),
    Reliance(
        "autobahn",
        "WebSocketProtocol._connectionMade() copying CONFIG_ATTRS from the connection's factory",
        "an idle connection reads them from the factory instead of keeping a copy each",
        lambda: _assigns_or_reads(AutobahnProtocol, "_connectionMade", "CONFIG_ATTRS", "factory"),
    ),
    Reliance(
        "autobahn",
        "the attributes of server.websocket.HANDSHAKE_ONLY, used only by the opening "
        "handshake (WebSocketServerProtocol.processHandshake() and succeedHandshake(), "
        "Daphne's WebSocketProtocol.onConnect())",
        "an open connection lets them go",
        lambda: _used_only_by(
            (AutobahnProtocol, WebSocketServerProtocol, DaphneWebSocketProtocol),
            HANDSHAKE_ONLY,
            {"processHandshake", "succeedHandshake", "onConnect"},
        ),
    ),
    Reliance(
        "autobahn",
        "WebSocketProtocol.send_queue, used only by _connectionMade(), sendData() and _send()",
        "a connection's send queue is made when something is queued (those three only ask "
        "its length, append to it and pop from it)",
        lambda: _used_only_by(
            (AutobahnProtocol, WebSocketServerProtocol, DaphneWebSocketProtocol),
            ("send_queue",),
            {"_connectionMade", "sendData", "_send"},
        ),
    ),
    Reliance(
        "autobahn",
        "WebSocketServerProtocol.processHandshake() keeping http_request_data and http_headers",
        "an open WebSocket lets go of its handshake request through them",
        lambda: _assigns_or_reads(
            WebSocketServerProtocol, "processHandshake", "http_request_data", "http_headers"
        ),
    ),
    Reliance(
        "autobahn",
        "WebSocketServerProtocol.succeedHandshake() setting websocket_extensions_in_use",
        "a connection that negotiated an extension is sent its frames through autobahn",
        lambda: _assigns_or_reads(
            WebSocketServerProtocol, "succeedHandshake", "websocket_extensions_in_use"
        ),
    ),
    Reliance(
        "daphne",
        "WebSocketProtocol.handle_reply() calling serverSend() and serverClose()",
        "every frame and close code the chat sends goes through the bounded protocol's own",
        lambda: _assigns_or_reads(
            DaphneWebSocketProtocol, "handle_reply", "serverSend", "serverClose"
        ),
    ),
    Reliance(
        "daphne",
        "WebSocketProtocol.onConnect() calling Server.create_application()",
        "the worker gives each connection its light input queue there, and adds the "
        "connection's hooks to the scope Daphne built",
        lambda: _assigns_or_reads(DaphneWebSocketProtocol, "onConnect", "create_application"),
    ),
    Reliance(
        "daphne",
        "Server.run() assigning Server.ws_factory, read by WebRequest.process()",
        "the worker fits the WebSocket factory as run() assigns it",
        lambda: (
            _assigns_or_reads(Server, "run", "ws_factory")
            and _assigns_or_reads(WebRequest, "process", "ws_factory", "buildProtocol")
        ),
    ),
    Reliance(
        "daphne",
        'Server.connections[protocol]["application_instance"]',
        "the worker's create_application() stores each connection's application there, "
        "where Daphne's application_checker() and kill_all_applications() look for it",
        lambda: (
            _uses_key(Server, "application_checker", "application_instance")
            and _uses_key(Server, "kill_all_applications", "application_instance")
        ),
    ),
    Reliance(
        "daphne",
        "Server.run() calling Server.listen_success(port)",
        "the worker keeps the listening ports it stops at shutdown",
        lambda: _assigns_or_reads(Server, "run", "listen_success"),
    ),
    Reliance(
        "daphne",
        "Server.run() assigning Server.http_factory and listening with it",
        "the worker's HTTP factory, whose requests refuse a body over its limit unread, "
        "takes the place of Daphne's",
        lambda: _assigns_or_reads(Server, "run", "http_factory"),
    ),
    Reliance(
        "twisted",
        "HTTPChannel._path, set by lineReceived() from the request line before "
        "allHeadersReceived() calls Request.gotLength()",
        "a request's body limit, which depends on its path, is known before any of the "
        "body is read",
        lambda: (
            _assigns_or_reads(HTTPChannel, "lineReceived", "_path", "allHeadersReceived")
            and _assigns_or_reads(HTTPChannel, "allHeadersReceived", "gotLength")
        ),
    ),
    Reliance(
        "twisted",
        "FileDescriptor's write buffers (dataBuffer, offset, _tempDataBuffer, _tempDataLen)",
        "a lost connection's unsent data is let go at once instead of when Daphne lets go "
        "of its transport",
        lambda: _assigns_or_reads(
            FileDescriptor, "doWrite", "dataBuffer", "offset", "_tempDataBuffer", "_tempDataLen"
        ),
    ),
    Reliance(
        "twisted",
        "FileDescriptor.bufferSize",
        "it is where a TCP transport pauses its producer: the slow-reader bound",
        lambda: isinstance(getattr(FileDescriptor, "bufferSize", None), int),
    ),
)


def check_dependencies(reliances=RELIANCES) -> None:
    """Raise DependencyCheckError naming every reliance that no longer holds."""
    broken = [
        f"{reliance.package}'s {reliance.attribute} is missing or changed ({reliance.use}); "
        + pinned(reliance.package)
        for reliance in reliances
        if not reliance.holds()
    ]
    if broken:
        raise DependencyCheckError(" / ".join(broken))
