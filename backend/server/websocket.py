"""The chat's WebSocket protocol: Daphne's, bounded in what a client may leave unread.

A client that stops reading its frames would make the server buffer them
without end. Here each connection's transport gets a streaming producer
(``SlowReaderGuard``, Twisted's producer API): the transport pauses it when more
than ``CHAT_SEND_BUFFER_MAX_BYTES`` wait unsent and resumes it once everything
has gone out. A client still behind ``SLOW_GRACE_SECONDS`` after the pause (a
healthy one drains a burst, such as a replay, well within that), even if
nothing more is sent to it, or one whose unsent frames reach eight times the
bound, is closed with ``CloseCode.TOO_SLOW``. The page then reconnects and
resumes from history, so the slow reader loses nothing. The application may
also wait for the client to read, through the ASGI extension the protocol adds
to its scope (``DRAIN_EXTENSION``): a replay is sent a page at a time, each once
the transport takes more.

Memory a slow reader's unsent frames took is handed back to the operating
system soon after its connection ends (``MemoryRelease``): glibc's allocator
keeps freed memory otherwise, and a worker would stay at its highest.

The rest is about cost: text frames are built once per broadcast
(``FrameCache``) and written to the transport as they are. An idle connection
is held for hours, so what it keeps is kept small: autobahn's forty-odd
settings are read from the factory instead of copied into every connection
(``FactoryOption``), its send queue is made only when a send needs one
(``SendQueue``), and once the connection is open what only the handshake
needed, and every attribute still at its idle default, leaves the connection's
attribute dict (``BoundedWebSocketProtocol.slim``).
"""

import asyncio
import contextlib
import ctypes
import ctypes.util
import dataclasses
import logging
import pprint
import socket
from collections import deque
from collections.abc import Awaitable, Callable

import autobahn.websocket.protocol
from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet.interfaces import IDelayedCall, IPushProducer, IReactorTime
from zope.interface import implementer

from chat.protocol import CloseCode
from server.frames import FrameCache

logger = logging.getLogger("server.websocket")

# A fixed kernel send buffer (instead of one that autotunes up to megabytes)
# keeps what a stalled client can pin down small and makes the bound apply early.
KERNEL_SEND_BUFFER = 64 * 1024
SLOW_GRACE_SECONDS = 2.0
# Written in all, at once, this many times the bound cuts a client off without
# waiting for the grace period to end.
FAR_PAST_FACTOR = 8
# The close frame to a slow reader queues behind what it hasn't read: the time
# it gets to read up to it before the connection is dropped.
SLOW_CLOSE_TIMEOUT_SECONDS = 30
# After a connection that fell behind ends, memory is handed back this much later
# (at most once per such delay, however many end).
MEMORY_RELEASE_DELAY_SECONDS = 1.0
# Unsent bytes a lost connection must have held for its end to release memory.
RELEASE_AFTER_BYTES = 256 * 1024

# What a server may put in a close frame: the codes registered by RFC 6455 that
# autobahn knows, less 1010 (only a client sends it), and the range 3000-4999.
SERVER_CLOSE_CODES = frozenset(AutobahnProtocol.CLOSE_STATUS_CODES_ALLOWED) - {
    AutobahnProtocol.CLOSE_STATUS_CODE_MANDATORY_EXTENSION
}
NORMAL_CLOSURE = AutobahnProtocol.CLOSE_STATUS_CODE_NORMAL

# The key of the extension in a connection's ASGI scope (``scope["extensions"]``) through
# which the application waits for its client to read. Its value is a dict whose
# "drained" is ``BoundedWebSocketProtocol.drained``. Other servers (plain Daphne, the
# test client) add none.
DRAIN_EXTENSION = "chat.drain"


class FormattedWhenWritten:
    """A value ``pprint.pformat`` formats only when it is written out (``str()``)."""

    __slots__ = ("value",)

    def __init__(self, value, *args, **kwargs) -> None:
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)


def format_autobahn_settings_only_when_logged() -> None:
    """autobahn formats its forty-odd settings with ``pformat`` for a debug line at
    every connection, whether debug lines are written or not: a tenth of a handshake's
    CPU, and a sixth of a worker's during a restart's reconnects. Its module's
    ``pformat`` becomes ``FormattedWhenWritten``, so the line is the same when it is
    written and costs nothing when it isn't."""
    autobahn.websocket.protocol.pformat = FormattedWhenWritten


@dataclasses.dataclass(frozen=True, slots=True)
class SendLimits:
    """How much a WebSocket client may leave unread, and for how long."""

    max_bytes: int
    clock: IReactorTime
    grace_seconds: float = SLOW_GRACE_SECONDS

    @property
    def far_past_bytes(self) -> int:
        """Bytes written while paused (on top of the bound) that cut a client off at once."""
        return (FAR_PAST_FACTOR - 1) * self.max_bytes


@implementer(IPushProducer)
class SlowReaderGuard:
    """The streaming producer on one WebSocket's transport: tells when its client falls behind.

    The transport calls ``pauseProducing()`` when its buffer passes its
    ``bufferSize`` (set to ``limits.max_bytes``), on every write while it stays
    there, and ``resumeProducing()`` once all of it has been sent. The first pause
    starts the grace timer; a resume stops it. When the timer runs out, or when
    ``admit()`` is asked to let through more than ``limits.far_past_bytes`` while
    paused, ``cut_off`` is called, once for the connection's life. ``drained()``
    tells when the transport takes more again.
    """

    __slots__ = ("limits", "cut_off", "grace_timer", "written_while_paused", "done", "waiters",
                 "fell_behind")  # fmt: skip

    def __init__(self, limits: SendLimits, cut_off: Callable[[], None]) -> None:
        self.limits = limits
        self.cut_off = cut_off
        self.grace_timer: IDelayedCall | None = None
        self.written_while_paused = 0
        self.done = False
        self.waiters: list[asyncio.Future] | None = None  # made when first needed
        self.fell_behind = False  # was ever paused: held much unsent

    @property
    def paused(self) -> bool:
        return self.grace_timer is not None

    def drained(self) -> asyncio.Future:
        """A future that is True once the transport takes more (at once if it does now),
        or False if the connection is gone or cut off before that."""
        future = asyncio.get_running_loop().create_future()
        if self.done or not self.paused:
            future.set_result(not self.done)
        else:
            if self.waiters is None:
                self.waiters = []
            self.waiters.append(future)
        return future

    def _wake(self, drained: bool) -> None:
        waiters, self.waiters = self.waiters, None
        for future in waiters or ():
            if not future.done():
                future.set_result(drained)

    def admit(self, nbytes: int) -> bool:
        """Whether ``nbytes`` more may be written; if not, the client has been cut off."""
        if self.grace_timer is None:
            return not self.done
        self.written_while_paused += nbytes
        if self.written_while_paused <= self.limits.far_past_bytes:
            return True
        self._too_slow()
        return False

    def pauseProducing(self) -> None:
        if self.grace_timer is None and not self.done:
            self.fell_behind = True
            self.written_while_paused = 0
            self.grace_timer = self.limits.clock.callLater(
                self.limits.grace_seconds, self._grace_over
            )

    def resumeProducing(self) -> None:
        self._stop_timer()
        self._wake(not self.done)

    def stopProducing(self) -> None:
        """The connection is gone."""
        self.done = True
        self._stop_timer()
        self._wake(False)

    def _grace_over(self) -> None:
        self.grace_timer = None
        self._too_slow()

    def _too_slow(self) -> None:
        if self.done:
            return
        self.done = True
        self._stop_timer()
        self._wake(False)
        self.cut_off()

    def _stop_timer(self) -> None:
        if self.grace_timer is not None:
            if self.grace_timer.active():
                self.grace_timer.cancel()
            self.grace_timer = None


def register_streaming_producer(transport, producer: IPushProducer) -> None:
    """Make ``producer`` the streaming producer of ``transport``.

    A WebSocket here begins as an HTTP request: Twisted's ``HTTPChannel``
    registers itself as the transport's producer when the connection is made,
    and Daphne hands the transport over on the upgrade without unregistering it
    (the request never finishes, so the channel never lets go). The channel has
    nothing more to send on this connection: it is unregistered, which also
    lets it and the upgrade request it holds be freed. ``IConsumer`` says
    ``registerProducer`` raises ``RuntimeError`` while another one is registered.
    """
    try:
        transport.registerProducer(producer, True)
    except RuntimeError:
        transport.unregisterProducer()
        transport.registerProducer(producer, True)


def drop_unsent(transport) -> int:
    """Let go of what a lost connection's transport still held to send; returns how
    many bytes that was.

    Twisted keeps it (``dataBuffer`` and the writes not yet joined to it) after
    the connection is lost, for as long as anything holds the transport: here
    Daphne, until the connection's application has ended, which may be seconds.
    """
    if not getattr(transport, "disconnected", False):
        return 0
    held = 0
    with contextlib.suppress(AttributeError, TypeError):
        held = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        transport.dataBuffer = b""
        transport.offset = 0
        transport._tempDataBuffer = []
        transport._tempDataLen = 0
    return held


def malloc_trimmer() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


class MemoryRelease:
    """Hands freed memory back to the operating system, a moment after it is asked to.

    glibc keeps the memory of freed small blocks (a slow reader's unsent frames
    are many) for the process to reuse, so a worker would keep the size of its
    worst moment; ``malloc_trim(0)`` gives back every free page.
    """

    def __init__(self, clock: IReactorTime, trim: Callable[[int], int] | None = None) -> None:
        self.clock = clock
        self.trim = trim
        self.pending: IDelayedCall | None = None

    def soon(self) -> None:
        if self.trim is not None and self.pending is None:
            self.pending = self.clock.callLater(MEMORY_RELEASE_DELAY_SECONDS, self._release)

    def _release(self) -> None:
        self.pending = None
        self.trim(0)


@dataclasses.dataclass(frozen=True, slots=True)
class Handshake:
    """What is kept of the opening handshake once the connection is open: its path,
    for Daphne's access log."""

    path: str


class FactoryOption:
    """One of autobahn's per-connection settings (``CONFIG_ATTRS``), read from the
    connection's factory until the connection is given a value of its own.

    autobahn copies every setting from the factory into each connection as it is made
    (a third of an idle connection's attributes); a copy that is the factory's own
    value is not kept. Reading gives the connection's own value if it has one (a slow
    reader's longer close timeout), else the factory's.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, protocol, owner=None):
        if protocol is None:
            return self
        own = protocol.__dict__
        if self.name in own:
            return own[self.name]
        return getattr(protocol.factory, self.name)

    def __set__(self, protocol, value) -> None:
        factory = protocol.__dict__.get("factory")
        if factory is not None and value is getattr(factory, self.name, _UNSET):
            protocol.__dict__.pop(self.name, None)
        else:
            protocol.__dict__[self.name] = value


_UNSET = object()


class SendQueue:
    """autobahn's ``send_queue``, made when something is queued, not for every
    connection: a deque is 600-odd bytes even empty, and autobahn queues only
    synchronous or chopped sends, which the chat doesn't make. Until then the
    connection reads an empty ``_Unqueued`` (autobahn asks its length at every send)."""

    __slots__ = ()

    def __get__(self, protocol, owner=None):
        if protocol is None:
            return self
        queue = protocol.__dict__.get("send_queue")
        return _Unqueued(protocol) if queue is None else queue

    def __set__(self, protocol, value) -> None:
        if value:
            protocol.__dict__["send_queue"] = value
        else:
            protocol.__dict__.pop("send_queue", None)


class _Unqueued:
    """A connection's send queue while nothing is queued: empty; the first ``append``
    makes the connection its deque."""

    __slots__ = ("protocol",)

    def __init__(self, protocol) -> None:
        self.protocol = protocol

    def __len__(self) -> int:
        return 0

    def __iter__(self):
        return iter(())

    def append(self, item) -> None:
        self.protocol.__dict__["send_queue"] = deque((item,))

    def popleft(self):
        raise IndexError("pop from an empty deque")


# What autobahn and Daphne read only while the opening handshake is processed: an open
# connection lets them go and reads None (the class's) if anything asks again.
HANDSHAKE_ONLY = (
    "http_request_data", "http_headers", "http_status_line", "http_request_uri",
    "http_request_path", "http_request_params", "http_request_host", "http_response_data",
    "websocket_protocols", "websocket_origin", "websocket_extensions", "_wskey",
    "clean_headers", "protocol_to_accept", "root_path", "server_addr", "_raw_query_string",
    "application_deferred",
)  # fmt: skip
_HANDSHAKE_ONLY = frozenset(HANDSHAKE_ONLY)

# autobahn's per-connection state as a connection that is open and idle has it: an
# attribute at its default leaves the connection's dict (the class holds the default)
# until autobahn sets it to something else, at a close or a ping.
IDLE_DEFAULTS = {
    "_perMessageCompress": None, "trackedTimings": None, "data": b"", "triggered": False,
    "send_state": 0, "wasMaxFramePayloadSizeExceeded": False,
    "wasMaxMessagePayloadSizeExceeded": False, "closedByMe": False, "failedByMe": False,
    "droppedByMe": False, "wasClean": False, "wasNotCleanReason": None,
    "wasServerConnectionDropTimeout": False, "wasOpenHandshakeTimeout": False,
    "wasCloseHandshakeTimeout": False, "wasServingFlashSocketPolicyFile": False,
    "localCloseCode": None, "localCloseReason": None, "remoteCloseCode": None,
    "remoteCloseReason": None, "openHandshakeTimeoutCall": None,
    "closeHandshakeTimeoutCall": None, "autoPingTimeoutCall": None, "autoPingPending": None,
    "autoPingPendingCall": None, "autoPingPendingSeq": 0, "autoPingPendingSent": None,
    "inside_message": False, "current_frame": None,
    "websocket_protocol_in_use": None,
}  # fmt: skip


def _at_default(name: str, value) -> bool:
    default = IDLE_DEFAULTS.get(name, _UNSET)
    return type(value) is type(default) and value == default


def refuse_compression(offers) -> None:
    """``perMessageCompressionAccept``: accept none of a client's permessage-deflate offers."""
    return None


class BoundedWebSocketProtocol(WebSocketProtocol):
    """Daphne's WebSocket protocol, with the slow-reader bound and frames built once.

    Built by Daphne's factory once the worker has fitted it (``fit_factory``),
    which gives it ``send_limits`` and the set of open WebSockets.
    """

    # Shared by every connection of the process: a broadcast's texts are framed once.
    frames = FrameCache()
    guard: SlowReaderGuard | None = None
    # Never set while fit_factory() refuses compression; autobahn then frames the texts.
    compressing = False

    def connectionMade(self):
        limits: SendLimits = self.factory.send_limits
        with contextlib.suppress(OSError, AttributeError):
            handle = self.transport.getHandle()
            handle.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SEND_BUFFER)
        # Where the transport pauses its producer (Twisted's default is 64 KiB).
        self.transport.bufferSize = limits.max_bytes
        self.guard = SlowReaderGuard(limits, self.cut_off_slow_reader)
        register_streaming_producer(self.transport, self.guard)
        super().connectionMade()

    def onOpen(self):
        super().onOpen()
        if self.websocket_extensions_in_use:
            self.compressing = True
        self.factory.open_websockets.add(self)
        self.slim()

    def slim(self) -> None:
        """The handshake is over: keep its path (for the access log), not the request
        with its headers and buffers, and nothing the handshake alone needed or that is
        at its idle default, for the connection's life. The attribute dict is built
        anew: a dict keeps its size when keys leave it."""
        self.request = Handshake(self.request.path)
        self.__dict__ = {
            name: value
            for name, value in self.__dict__.items()
            if name not in _HANDSHAKE_ONLY and not _at_default(name, value)
        }

    def onClose(self, wasClean, code, reason):
        self.factory.open_websockets.discard(self)
        dropped = drop_unsent(self.transport)
        if dropped >= RELEASE_AFTER_BYTES or (self.guard is not None and self.guard.fell_behind):
            self.factory.memory_release.soon()
        super().onClose(wasClean, code, reason)

    def serverSend(self, content, binary=False):
        if self.state != self.STATE_OPEN:
            return
        if binary or self.compressing:
            if self.guard.admit(len(content)):
                super().serverSend(content, binary)
            return
        # A broadcast's frame is built once, for all its receivers, and written
        # as it is (autobahn's sendMessage() would build it again for each, and
        # format a debug line for every write).
        frame = self.frames.framed(content)
        if self.guard.admit(len(frame)):
            self.transport.write(frame)

    def drained(self) -> Awaitable[bool]:
        """True once the client has read enough for more to be written; False if it is gone."""
        if self.guard is None:  # the transport has not been made yet: nothing is buffered
            future = asyncio.get_running_loop().create_future()
            future.set_result(True)
            return future
        return self.guard.drained()

    def add_extensions(self, scope: dict) -> None:
        """Offer the application this connection's hooks in its ``scope``: ``DRAIN_EXTENSION``."""
        scope.setdefault("extensions", {})[DRAIN_EXTENSION] = {"drained": self.drained}

    def serverClose(self, code=None, reason: bytes | None = None):
        """Close with ``code``, which may be any code RFC 6455 lets a server send.

        autobahn's ``sendClose()`` takes only 1000 and 3000-4999; the others a
        server may send (1011 server error, 1012 restart, 1013 try again
        later...) go out as a close frame built directly. Anything else
        becomes 1011.
        """
        code = NORMAL_CLOSURE if code is None else int(code)
        if code not in SERVER_CLOSE_CODES and not 3000 <= code <= 4999:
            code = int(CloseCode.SERVER_ERROR)
        self.sendCloseFrame(code=code, reasonUtf8=reason, isReply=False)

    def cut_off_slow_reader(self) -> None:
        if self.state == self.STATE_CONNECTING:  # not even through the handshake
            self.transport.abortConnection()
            return
        if self.state != self.STATE_OPEN:  # closing already
            return
        logger.warning("cutting off a WebSocket client that is not reading")
        self.closeHandshakeTimeout = SLOW_CLOSE_TIMEOUT_SECONDS
        self.serverClose(code=CloseCode.TOO_SLOW)


def keep_idle_connections_small(protocol_class) -> None:
    """Give ``protocol_class`` the class-level parts of a small idle connection: every
    autobahn setting read from the factory, a send queue made when needed, and None or
    the idle default for what ``slim()`` lets go."""
    for name in protocol_class.CONFIG_ATTRS:
        setattr(protocol_class, name, FactoryOption(name))
    protocol_class.send_queue = SendQueue()
    for name in HANDSHAKE_ONLY:
        setattr(protocol_class, name, None)
    for name, default in IDLE_DEFAULTS.items():
        setattr(protocol_class, name, default)


keep_idle_connections_small(BoundedWebSocketProtocol)


def fit_factory(factory, *, limits: SendLimits, open_websockets: set) -> None:
    """Make Daphne's WebSocket factory build ``BoundedWebSocketProtocol``s.

    ``protocol`` is the class a Twisted factory builds its protocols from.
    Compression is refused: frames are written as they were built.
    """
    factory.protocol = BoundedWebSocketProtocol
    factory.send_limits = limits
    factory.memory_release = MemoryRelease(limits.clock, malloc_trimmer())
    factory.open_websockets = open_websockets
    factory.setProtocolOptions(perMessageCompressionAccept=refuse_compression)
