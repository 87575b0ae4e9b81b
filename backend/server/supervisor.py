"""The parent process: binds the port, keeps N workers serving it, and stops them in order.

Each worker inherits the listening socket (Daphne's ``fd:`` endpoint), so the
kernel spreads connections over them. A worker that crashes is started again.
SIGTERM, SIGINT and SIGHUP ask every worker to stop (each closes its WebSockets
with 1012 first); the supervisor waits for them, kills any still running after
``STOP_TIMEOUT_SECONDS``, and only then exits, so the port is free once it is
gone. It closes its copy of the listening socket first: while the workers close
their WebSockets, new connections are refused rather than left waiting. The
same signal again kills the workers at once.
"""

import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time

logger = logging.getLogger("server.supervisor")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOP_TIMEOUT_SECONDS = 20
# How often the supervisor looks at its workers when no signal wakes it.
CHECK_INTERVAL_SECONDS = 1.0
# A worker that crashed is started again, but no sooner than this after its
# previous start: a crash that repeats doesn't become a busy loop.
RESTART_DELAY_SECONDS = 1.0
# A worker exits with this status when it can't start (its configuration or a
# dependency is wrong): the supervisor then stops instead of starting it again
# and again (EX_CONFIG in sysexits.h).
EXIT_CANNOT_START = 78


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``, for the workers to inherit (``pass_fds``).

    Raises OSError (errno EADDRINUSE when another process holds the port).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    return sock


def worker_argv(fd: int) -> list[str]:
    """A worker serving the socket ``fd``, watching this process (its supervisor)."""
    return [sys.executable, "-m", "server", "--fd", str(fd), "--supervisor", str(os.getpid())]


class Supervisor:
    """Runs ``workers`` copies of ``argv`` with the listening socket ``sock``, until a
    stop signal; ``run()`` returns the exit status and leaves ``sock`` closed."""

    def __init__(
        self,
        sock: socket.socket,
        workers: int,
        *,
        argv: list[str] | None = None,
        stop_timeout: float = STOP_TIMEOUT_SECONDS,
    ) -> None:
        self.sock = sock
        self.workers = workers
        self.argv = argv if argv is not None else worker_argv(sock.fileno())
        self.stop_timeout = stop_timeout
        self.children: list[subprocess.Popen] = []
        self.stop_signals: list[int] = []
        self._wakeup: socket.socket | None = None

    def run(self) -> int:
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._wakeup = reader
        # Any signal with a Python handler writes a byte to ``writer``: the loop
        # below sleeps in select() and wakes on a stop signal or a worker's exit.
        previous_wakeup = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        handled = (*STOP_SIGNALS, signal.SIGCHLD)
        previous = {signum: signal.signal(signum, self._on_signal) for signum in handled}
        try:
            return self._serve()
        finally:
            for child in self.children:
                if child.poll() is None:
                    child.kill()
                    child.wait()
            self.sock.close()
            signal.set_wakeup_fd(previous_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            reader.close()
            writer.close()

    def _on_signal(self, signum, _frame) -> None:
        if signum != signal.SIGCHLD:
            self.stop_signals.append(signum)

    def _asked_twice(self) -> bool:
        """The same stop signal came again (Ctrl-C pressed twice): don't wait any longer.

        Different signals don't count: a terminal's SIGINT followed by a process
        manager's SIGTERM is one request to stop."""
        return len(self.stop_signals) != len(set(self.stop_signals))

    def _spawn(self) -> subprocess.Popen:
        # A terminal's Ctrl-C reaches every process in the group, a worker still
        # starting up included. Workers ignore SIGINT (an ignored signal stays ignored
        # across exec, and Twisted leaves it so): the supervisor turns it into SIGTERM.
        return subprocess.Popen(
            self.argv, pass_fds=(self.sock.fileno(),), preexec_fn=_ignore_interrupt
        )

    def _sleep(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds, or until a signal comes."""
        select.select([self._wakeup], [], [], max(timeout, 0))
        try:
            while self._wakeup.recv(512):
                pass
        except BlockingIOError:
            pass

    def _serve(self) -> int:
        self.children = [self._spawn() for _ in range(self.workers)]
        started = [time.monotonic()] * self.workers
        host, port = self.sock.getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        print(f"Serving on http://{host}:{port}/ with {self.workers} worker(s)", flush=True)
        while not self.stop_signals:
            wait = CHECK_INTERVAL_SECONDS
            for index, child in enumerate(self.children):
                if child.poll() is None:
                    continue
                if child.returncode == EXIT_CANNOT_START:
                    logger.error("a worker could not start; stopping")
                    self._stop_children()
                    return EXIT_CANNOT_START
                too_soon = started[index] + RESTART_DELAY_SECONDS - time.monotonic()
                if too_soon > 0:
                    wait = min(wait, too_soon)
                    continue
                logger.warning("worker %s exited with %s; restarting", child.pid, child.returncode)
                mark_dead(child.pid)
                self.children[index] = self._spawn()
                started[index] = time.monotonic()
            self._sleep(wait)
        self._stop_children()
        return 0

    def _stop_children(self) -> None:
        """Stop listening, ask every worker to stop, wait for them, kill what is left
        after the timeout."""
        # The workers stop accepting at once; once this copy is closed too, the kernel
        # refuses new connections instead of queueing them for nobody while the
        # workers close their sockets: clients try elsewhere, or again, at once.
        self.sock.close()
        for child in self.children:
            if child.poll() is None:
                # Twisted stops gracefully on SIGTERM; a worker treats all three alike.
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while any(child.poll() is None for child in self.children):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._asked_twice():
                break
            self._sleep(min(remaining, CHECK_INTERVAL_SECONDS))
        for child in self.children:
            if child.poll() is None:
                logger.warning("worker %s did not stop in time; killing it", child.pid)
                child.kill()
                child.wait()
            mark_dead(child.pid)


def _ignore_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def mark_dead(pid: int) -> None:
    """Drop a finished worker's live gauges from the shared metrics folder."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
