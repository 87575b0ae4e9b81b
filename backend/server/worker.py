"""One Daphne process serving the listening socket it inherited from the supervisor.

On SIGTERM or SIGHUP the worker stops accepting connections, closes its
WebSockets with ``CloseCode.SERVICE_RESTART`` (so the pages reconnect, to
another worker or to the restarted server, and resume), and exits. SIGINT is
ignored: the supervisor starts its workers so, and answers a Ctrl-C with SIGTERM
to each.
"""

# Daphne installs Twisted's asyncio reactor when imported: it must come before
# anything that imports twisted.internet.reactor.
from daphne.server import Server  # isort: skip

import asyncio
import contextlib
import functools
import gc
import logging
import os
import secrets
import signal
import sys
import traceback

from twisted.internet import defer, reactor, task, threads
from twisted.internet.error import ReactorNotRunning

from chat.protocol import CloseCode
from server import checks
from server.http import BodyLimit, BodyLimits, BoundedHTTPFactory
from server.input_queue import InputQueue
from server.supervisor import EXIT_CANNOT_START
from server.websocket import (
    BoundedWebSocketProtocol,
    SendLimits,
    fit_factory,
    format_autobahn_settings_only_when_logged,
)

logger = logging.getLogger("server.worker")

# The database thread gets the interpreter back sooner after each query (the
# default, 5 ms, makes it wait behind the event loop).
SWITCH_INTERVAL_SECONDS = 0.001
# How often guest accounts past their end date are deactivated.
GUESTS_EXPIRY_SECONDS = 60
# Time for the close frames to leave before the reactor stops.
CLOSE_GRACE_SECONDS = 1.0
# How often a worker checks that its supervisor is still there.
PARENT_CHECK_SECONDS = 1.0


class WorkerServer(Server):
    """Daphne's server with the chat's HTTP and WebSocket protocols (bodies and unread
    frames bounded), a light input queue per connection, and a graceful stop."""

    def __init__(self, *args, send_limits: SendLimits, body_limits: BodyLimits, **kwargs) -> None:
        super().__init__(*args, ready_callable=self.ready, **kwargs)
        self.send_limits = send_limits
        self.body_limits = body_limits
        self.ports = []
        self.open_websockets: set[BoundedWebSocketProtocol] = set()
        self._ws_factory = None
        self._http_factory = None

    @property
    def http_factory(self):
        return self._http_factory

    @http_factory.setter
    def http_factory(self, factory) -> None:
        # As for ws_factory below: run() builds Daphne's HTTP factory here before it
        # listens with it; the worker's own, whose requests are bounded, takes its place.
        self._http_factory = BoundedHTTPFactory(
            self, limits=self.body_limits, clock=self.send_limits.clock
        )

    @property
    def ws_factory(self):
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory) -> None:
        # Daphne has no option for the protocol class: its run() builds the
        # WebSocket factory and assigns it here, before it listens; the factory
        # is fitted as it arrives (checks.py makes sure run() still does so).
        fit_factory(factory, limits=self.send_limits, open_websockets=self.open_websockets)
        self._ws_factory = factory

    def ready(self) -> None:
        """Daphne's ready_callable, run on the event loop once listening."""
        self.check_fitted()
        asyncio.get_event_loop().set_exception_handler(clients_gone_unreported)

    def check_fitted(self) -> None:
        """Fail now if no fitted factory will build the WebSockets (or serve HTTP)."""
        if self._ws_factory is None or self._ws_factory.protocol is not BoundedWebSocketProtocol:
            raise checks.DependencyCheckError(
                "Daphne's Server.run() did not hand its WebSocket factory to ws_factory; "
                + checks.pinned("daphne")
            )
        if self._http_factory is None:
            raise checks.DependencyCheckError(
                "Daphne's Server.run() did not hand its HTTP factory to http_factory; "
                + checks.pinned("daphne")
            )

    def create_application(self, protocol, scope):
        """Start the application for a new connection; returns its input queue.

        As Daphne's own, but with an input queue that an idle WebSocket holds for
        hours at a fraction of asyncio.Queue's memory, and with a WebSocket's hooks
        (waiting for its client to read) in the scope's extensions.
        """
        if protocol not in self.connections:
            return None
        input_queue = InputQueue()
        scope.setdefault("asgi", {"version": "3.0"})
        if isinstance(protocol, BoundedWebSocketProtocol):
            protocol.add_extensions(scope)
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
        """Before shutdown: stop accepting, close every open WebSocket with 1012."""
        for port in self.ports:
            port.stopListening()
        open_sockets = list(self.open_websockets)
        for protocol in open_sockets:
            protocol.serverClose(code=CloseCode.SERVICE_RESTART, reason=b"server restart")
        logger.info("closed %d WebSockets with %d", len(open_sockets), CloseCode.SERVICE_RESTART)
        return task.deferLater(reactor, CLOSE_GRACE_SECONDS, lambda: None)


def clients_gone_unreported(loop, context: dict) -> None:
    """The event loop's handler of errors nothing awaited: a request whose client left
    is no error. (At shutdown Daphne cancels the requests still under way; Django leaves
    each one's watch for the client's disconnect running, which then raises
    RequestAborted with nobody to take it, and asyncio would log its traceback.)"""
    from django.core.exceptions import RequestAborted

    if isinstance(context.get("exception"), RequestAborted):
        return
    loop.default_exception_handler(context)


class ParentWatch:
    """Stops the worker once its supervisor is gone (killed outright, it forwarded no
    signal), so no orphan keeps serving the port."""

    def __init__(self, parent_pid: int, *, clock=reactor, stop=None) -> None:
        self.parent_pid = parent_pid
        self.stop = stop or stop_reactor
        self.loop = task.LoopingCall(self.check)
        self.loop.clock = clock

    def start(self, interval: float = PARENT_CHECK_SECONDS) -> None:
        self.loop.start(interval, now=False)

    def check(self) -> None:
        if os.getppid() != self.parent_pid:
            logger.warning("the supervisor is gone; stopping")
            self.loop.stop()
            self.stop()


class GuestsExpiry:
    """Deactivates guest accounts at their end date: once a minute, in a thread."""

    def __init__(self, *, clock=reactor, sweep=None) -> None:
        self.loop = task.LoopingCall(sweep or self.sweep)
        self.loop.clock = clock

    def start(self, interval: float = GUESTS_EXPIRY_SECONDS) -> None:
        self.loop.start(interval, now=False)

    @staticmethod
    def sweep():
        from organization.services import guests_expire

        done = threads.deferToThread(guests_expire)
        done.addErrback(lambda failure: logger.warning("guest expiry failed: %s", failure.value))
        return done


class MissedMail:
    """E-mails people what they missed (notifications.missed): every
    CHAT_EMAIL_NOTIFY_EVERY seconds, on the event loop; workers sweeping at once send
    each e-mail once."""

    def __init__(self, *, clock=reactor) -> None:
        # Imported now, as the worker starts: importing it at the first sweep would hold
        # the event loop (and every connection) for a moment while serving.
        from notifications.missed import missed_mail_sweep

        self.sweep_once = missed_mail_sweep
        self.loop = task.LoopingCall(self.sweep)
        self.loop.clock = clock

    def start(self) -> None:
        from django.conf import settings

        from notifications.missed import mail_configured

        if not mail_configured():
            logger.info("e-mail for what people missed is off: EMAIL_HOST is not set")
            return
        self.loop.start(settings.CHAT_EMAIL_NOTIFY_EVERY, now=False)

    def sweep(self):
        done = defer.Deferred.fromFuture(asyncio.ensure_future(self.sweep_once()))
        done.addErrback(lambda failure: logger.warning("missed e-mail failed: %s", failure.value))
        return done


class WebhookDeliveries:
    """Delivers outgoing webhooks' events (integrations.outgoing.Deliveries) for as long as
    the worker serves."""

    def __init__(self) -> None:
        # Imported now, as the worker starts, not while serving.
        import integrations.outgoing  # noqa: F401

    def start(self) -> None:
        reactor.callLater(0, self.run)  # once the event loop runs

    @staticmethod
    def run() -> None:
        from chat.process import detach, process

        detach(process().deliveries.run())


def stop_reactor() -> None:
    """Stop as on SIGTERM; nothing happens if the worker is stopping already."""
    with contextlib.suppress(ReactorNotRunning):
        reactor.stop()


# The cycle collector's thresholds while serving: a first collection after 10,000 new
# objects instead of Python's 700, as a batch of posts makes thousands at once.
GC_THRESHOLDS = (10_000, 10, 10)


def collect_only_what_serving_makes() -> None:
    """Leave what start-up made (Django, the settings, the application: most of a
    worker's objects, kept for its whole life) out of the cycle collector's passes, and
    run them less often. Every full pass walked all of it: a third of a post's CPU."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_worker(fd: int, supervisor_pid: int | None = None) -> int:
    """Serve the inherited listening socket ``fd`` until asked to stop, or until the
    supervisor (``supervisor_pid``, by default the parent) is gone; returns the exit status."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    from django.core.exceptions import ImproperlyConfigured

    try:
        checks.check_dependencies()
        format_autobahn_settings_only_when_logged()
        server = build_server(fd)
    except (checks.DependencyCheckError, ImproperlyConfigured) as error:
        return cannot_start(str(error))
    except Exception:
        # It would fail the same way again: the supervisor stops instead.
        traceback.print_exc()
        return cannot_start("the error above")
    # Made (their modules imported) before the collector is told to leave what exists alone.
    chores = [GuestsExpiry(), MissedMail(), WebhookDeliveries()]
    collect_only_what_serving_makes()
    # Registered before Daphne's own shutdown work, so it runs first.
    reactor.addSystemEventTrigger("before", "shutdown", server.close_websockets)
    # Twisted handles SIGTERM; a hang-up stops the worker as SIGTERM does.
    signal.signal(signal.SIGHUP, reactor.sigTerm)
    # The supervisor's pid as it started this worker: if it was killed while the
    # worker was starting, the parent is already someone else.
    ParentWatch(supervisor_pid or os.getppid()).start()
    for chore in chores:
        chore.start()
    try:
        server.run()
    except checks.DependencyCheckError as error:
        return cannot_start(str(error))
    return 0


def build_server(fd: int) -> WorkerServer:
    """The server for the listening socket ``fd``, as the settings describe it."""
    from django.conf import settings

    from config.asgi import application  # isort: skip (sets Django up)
    from api.attachments import upload_body_limit
    from api.me import avatar_body_limit

    proxy_headers = (
        {
            "proxy_forwarded_address_header": "X-Forwarded-For",
            "proxy_forwarded_port_header": "X-Forwarded-Port",
            "proxy_forwarded_proto_header": "X-Forwarded-Proto",
        }
        if settings.CHAT_TRUST_PROXY_HEADERS
        else {}
    )
    return WorkerServer(
        application=application,
        endpoints=[f"fd:fileno={fd}"],
        **proxy_headers,
        send_limits=SendLimits(max_bytes=settings.CHAT_SEND_BUFFER_MAX_BYTES, clock=reactor),
        body_limits=BodyLimits(
            BodyLimit(settings.CHAT_REQUEST_BODY_MAX_KB * 1024),
            (upload_body_limit(), avatar_body_limit()),
        ),
        signal_handlers=True,
        websocket_timeout=-1,
        # Under a flood of new connections, a handshake may wait its turn.
        websocket_connect_timeout=30,
        # Tells workers apart in the Server header (handy behind a load balancer) by a
        # random tag, not the process id.
        server_name=f"chat-worker-{secrets.token_hex(4)}",
    )


def cannot_start(reason: str) -> int:
    print(f"The chat server can't start: {reason}", file=sys.stderr, flush=True)
    return EXIT_CANNOT_START
