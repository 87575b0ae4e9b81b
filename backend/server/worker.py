"""Production serving: N Daphne workers sharing one listening socket.

    python -m config.serve --host 0.0.0.0 --port 8000 --workers 2

The parent process binds the port, starts the workers with the socket's file
descriptor (Daphne's ``fd:`` endpoint), restarts a worker that crashes, and on
SIGTERM or Ctrl-C asks every worker to stop. A stopping worker stops accepting
connections and closes its WebSockets with code 1012 (service restart), so the
pages reconnect, to another worker or to the restarted server, and resume.
"""

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import OrderedDict, deque

logger = logging.getLogger("config.serve")

CLOSE_SERVICE_RESTART = 1012
# Close codes of RFC 6455's registry that a server may send.
SERVER_CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 1012, 1013, 1014})
CLOSE_TOO_SLOW = 4408
KERNEL_SEND_BUFFER = 64 * 1024
SLOW_CLOSE_TIMEOUT_SECONDS = 30
SLOW_GRACE_SECONDS = 2.0
CLOSE_GRACE_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 20
SWITCH_INTERVAL_SECONDS = 0.001


def run_worker(fd: int) -> None:
    """One Daphne process serving the inherited socket ``fd``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The database thread gets the interpreter back sooner after each query
    # (the default, 5 ms, makes it wait behind the event loop).
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    from daphne.server import Server  # installs Twisted's asyncio reactor first
    from daphne.ws_protocol import WebSocketProtocol
    from django.conf import settings
    from twisted.internet import reactor, task

    from config.asgi import application

    send_buffer_max = settings.CHAT_SEND_BUFFER_MAX_BYTES

    class BoundedWebSocketProtocol(WebSocketProtocol):
        """Cuts off a client that doesn't read its frames, instead of buffering forever.

        A client whose unsent frames stay above the bound for SLOW_GRACE_SECONDS
        (a healthy one drains a burst, such as a replay, well within that), or
        pass eight times the bound, is closed with 4408. The page then reconnects
        and resumes from history, so the slow reader loses nothing.
        """

        over_since: float | None = None

        def connectionMade(self):
            # A fixed kernel send buffer (instead of one that autotunes up to
            # megabytes) keeps what a stalled client can pin down small and makes
            # the bound below apply early.
            with contextlib.suppress(OSError, AttributeError):
                handle = self.transport.getHandle()
                handle.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SEND_BUFFER)
            super().connectionMade()

        def onOpen(self):
            super().onOpen()
            # The handshake is over: keep its path (for the access log), not the
            # request with its headers and buffers, for the connection's life.
            self.request = _Handshake(self.request.path)
            self.http_request_data = self.http_headers = None

        def serverSend(self, content, binary=False):
            if self.state != self.STATE_OPEN:
                return
            if self._too_slow(_buffered_bytes(self.transport)):
                logger.warning("cutting off a WebSocket client that is not reading")
                # The close frame queues behind the unsent data: give the client a
                # while to read up to it before the connection is dropped.
                self.closeHandshakeTimeout = SLOW_CLOSE_TIMEOUT_SECONDS
                self.serverClose(code=CLOSE_TOO_SLOW)
                return
            if binary or self._perMessageCompress is not None:
                super().serverSend(content, binary)
            else:
                # A broadcast's frame is built once, for all its receivers, and
                # written as it is (autobahn's sendData() would also format a
                # debug line for every write).
                self.transport.write(frames.framed(content))

        def serverClose(self, code=None):
            # autobahn's sendClose() takes only 1000 and 3000-4999; the other
            # codes RFC 6455 lets a server send (1011 server error, 1012
            # restart, 1013 try again later...) go out as a close frame built
            # directly. Anything else becomes 1011.
            if code is None:
                code = 1000
            if code not in SERVER_CLOSE_CODES and not 3000 <= code <= 4999:
                code = 1011
            self.sendCloseFrame(code=code, isReply=False)

        def _too_slow(self, buffered: int) -> bool:
            if buffered <= send_buffer_max:
                self.over_since = None
                return False
            now = time.monotonic()
            if self.over_since is None:
                self.over_since = now
            return buffered > 8 * send_buffer_max or now - self.over_since > SLOW_GRACE_SECONDS

    frames = FrameCache()

    class GracefulServer(Server):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.ports = []

        def create_application(self, protocol, scope):
            """Start the application for a new connection; returns its input queue.

            As Daphne's own, but with an input queue that an idle WebSocket
            holds for hours at a fraction of asyncio.Queue's memory.
            """
            if protocol not in self.connections:
                return None
            input_queue = InputQueue()
            scope.setdefault("asgi", {"version": "3.0"})
            instance = self.application(
                scope=scope,
                receive=input_queue.get,
                send=functools.partial(self.handle_reply, protocol),
            )
            self.connections[protocol]["application_instance"] = asyncio.ensure_future(instance)
            return input_queue

        def listen_success(self, port) -> None:
            self.ports.append(port)
            super().listen_success(port)

        def close_websockets(self):
            """Before shutdown: stop accepting, close every WebSocket with 1012."""
            for port in self.ports:
                port.stopListening()
            open_sockets = [
                protocol
                for protocol in list(self.connections)
                if isinstance(protocol, WebSocketProtocol) and protocol.state == protocol.STATE_OPEN
            ]
            for protocol in open_sockets:
                # sendClose() only takes 1000 and 3000-4999; 1012 ("service
                # restart", RFC 6455's registry) goes out as a raw close frame.
                protocol.sendCloseFrame(
                    code=CLOSE_SERVICE_RESTART, reasonUtf8=b"server restart", isReply=False
                )
            logger.info("closed %d WebSockets with 1012", len(open_sockets))
            # Give the close frames time to leave before the reactor stops.
            return task.deferLater(reactor, CLOSE_GRACE_SECONDS, lambda: None)

    proxy_headers = (
        {
            "proxy_forwarded_address_header": "X-Forwarded-For",
            "proxy_forwarded_port_header": "X-Forwarded-Port",
            "proxy_forwarded_proto_header": "X-Forwarded-Proto",
        }
        if settings.CHAT_TRUST_PROXY_HEADERS
        else {}
    )
    server = GracefulServer(
        application=application,
        endpoints=[f"fd:fileno={fd}"],
        **proxy_headers,
        signal_handlers=True,
        websocket_timeout=-1,
        # Under a flood of new connections, a handshake may wait its turn.
        websocket_connect_timeout=30,
        # Names the worker in every response's Server header (handy behind a load balancer).
        server_name=f"chat-worker-{os.getpid()}",
    )
    # Registered before Daphne's own shutdown work, so it runs first.
    reactor.addSystemEventTrigger("before", "shutdown", server.close_websockets)
    server.ready_callable = lambda: setattr(server.ws_factory, "protocol", BoundedWebSocketProtocol)
    server.run()


class InputQueue:
    """What Daphne needs of an application's input queue: put_nowait() and get(),
    for one reader. Holds no buffers until something waits in it."""

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: deque | None = None
        self.waiter: asyncio.Future | None = None

    def put_nowait(self, item) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(item)
            self.waiter = None
            return
        if self.items is None:
            self.items = deque()
        self.items.append(item)

    async def get(self):
        if self.items:
            item = self.items.popleft()
            if not self.items:
                self.items = None
            return item
        if self.waiter is not None and not self.waiter.done():
            raise RuntimeError("only one reader may wait for a connection's input")
        self.waiter = asyncio.get_running_loop().create_future()
        return await self.waiter


@dataclasses.dataclass(frozen=True, slots=True)
class _Handshake:
    path: bytes


def text_frame(payload: bytes) -> bytes:
    """A final, unmasked WebSocket text frame (RFC 6455, section 5.2), as a server sends it."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


class FrameCache:
    """The WebSocket frames of the texts sent last, each built once for every connection.

    A broadcast hands the same text objects to each connection in turn, so they
    are found by identity; a text seen for the first time gets a frame of its own.
    """

    SIZE = 128  # more than a broadcast batch holds (chat.batching.MAX_BATCH)

    def __init__(self) -> None:
        self.frames: OrderedDict[int, tuple[str, bytes]] = OrderedDict()

    def framed(self, text: str) -> bytes:
        entry = self.frames.get(id(text))
        if entry is not None and entry[0] is text:
            return entry[1]
        frame = text_frame(text.encode("utf8"))
        # The entry keeps ``text`` alive, so its id can't be reused while cached.
        self.frames[id(text)] = (text, frame)
        if len(self.frames) > self.SIZE:
            self.frames.popitem(last=False)
        return frame


def _buffered_bytes(transport) -> int:
    """Bytes written to a Twisted TCP transport that the kernel hasn't taken yet."""
    buffered = getattr(transport, "dataBuffer", b"")
    return len(buffered) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def supervise(host: str, port: int, workers: int) -> int:
    """Bind, start ``workers`` workers, keep them running until SIGTERM/SIGINT."""
    sock = _listening_socket(host, port)
    fd = sock.fileno()
    argv = [sys.executable, "-m", "config.serve", "--fd", str(fd)]
    children: list[subprocess.Popen] = []
    stopping = False

    def spawn() -> subprocess.Popen:
        return subprocess.Popen(argv, pass_fds=(fd,))

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children.extend(spawn() for _ in range(workers))
    print(f"Serving on http://{host}:{port}/ with {workers} worker(s)", flush=True)
    while not stopping:
        for index, child in enumerate(children):
            if child.poll() is not None and not stopping:
                logger.warning("worker %s exited with %s; restarting", child.pid, child.returncode)
                _mark_dead(child.pid)
                children[index] = spawn()
        time.sleep(0.2)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        _mark_dead(child.pid)
    sock.close()
    return 0


def _mark_dead(pid: int) -> None:
    """Drop a finished worker's live gauges from the shared metrics folder."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # worker mode
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    if args.fd is not None:
        run_worker(args.fd)
        return 0
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    return supervise(args.host, args.port, args.workers)


if __name__ == "__main__":
    sys.exit(main())
