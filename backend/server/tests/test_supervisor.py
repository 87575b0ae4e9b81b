"""The supervisor in this process, with tiny stand-in workers (no Django, no signals sent)."""

import errno
import os
import signal
import socket
import sys
import time
from itertools import pairwise

import pytest

from server.supervisor import (
    EXIT_CANNOT_START,
    RESTART_DELAY_SECONDS,
    Supervisor,
    listening_socket,
    worker_argv,
)

# Notes that it started; crashes twice, then can't start.
CRASHING_WORKER = """
import pathlib, sys
starts = pathlib.Path(sys.argv[1])
with starts.open("a") as notes:
    notes.write("started\\n")
sys.exit(1 if len(starts.read_text().split()) < 3 else 78)
"""
# Notes whether it inherited the listening socket, then can't start.
SOCKET_WORKER = """
import os, pathlib, socket, sys
with socket.socket(fileno=os.dup(int(sys.argv[1]))) as sock:
    pathlib.Path(sys.argv[2]).write_text(str(sock.getsockname()[1]))
sys.exit(78)
"""


@pytest.fixture
def sock():
    sock = listening_socket("127.0.0.1", 0)
    yield sock
    sock.close()


def test_workers_inherit_the_listening_socket(sock, tmp_path):
    port = sock.getsockname()[1]
    noted = tmp_path / "port"
    argv = [sys.executable, "-c", SOCKET_WORKER, str(sock.fileno()), str(noted)]
    assert Supervisor(sock, 1, argv=argv).run() == EXIT_CANNOT_START
    assert noted.read_text() == str(port)


def test_a_worker_that_cannot_start_stops_the_supervisor_and_frees_the_port(sock):
    argv = [sys.executable, "-c", "raise SystemExit(78)"]
    assert Supervisor(sock, 2, argv=argv).run() == EXIT_CANNOT_START
    assert sock.fileno() == -1  # closed


def test_a_crashed_worker_is_started_again_but_not_in_a_busy_loop(sock, tmp_path):
    spawned: list[float] = []  # when the supervisor started each worker, on its own clock

    class Noting(Supervisor):
        def _spawn(self):
            spawned.append(time.monotonic())
            return super()._spawn()

    starts = tmp_path / "starts"
    argv = [sys.executable, "-c", CRASHING_WORKER, str(starts)]
    assert Noting(sock, 1, argv=argv).run() == EXIT_CANNOT_START
    assert len(starts.read_text().split()) == len(spawned) == 3
    assert all(later - earlier >= RESTART_DELAY_SECONDS for earlier, later in pairwise(spawned))


def test_the_signal_handlers_are_given_back(sock):
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGHUP)}
    Supervisor(sock, 1, argv=[sys.executable, "-c", "raise SystemExit(78)"]).run()
    assert {signum: signal.getsignal(signum) for signum in before} == before


def test_a_busy_port_raises_address_in_use(sock):
    with pytest.raises(OSError) as busy:
        listening_socket("127.0.0.1", sock.getsockname()[1])
    assert busy.value.errno == errno.EADDRINUSE


def test_workers_run_this_package_on_the_inherited_socket():
    supervisor = str(os.getpid())
    assert worker_argv(7) == [
        sys.executable,
        "-m",
        "server",
        "--fd",
        "7",
        "--supervisor",
        supervisor,
    ]


def test_ipv6_hosts_get_an_ipv6_socket():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    try:
        sock = listening_socket("::1", 0)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with sock:
        assert sock.family == socket.AF_INET6


def test_only_the_same_stop_signal_twice_cuts_the_wait_short(sock):
    supervisor = Supervisor(sock, 1)
    supervisor.stop_signals = [signal.SIGINT, signal.SIGTERM]  # a terminal, then a manager
    assert not supervisor._asked_twice()
    supervisor.stop_signals.append(signal.SIGINT)  # Ctrl-C again
    assert supervisor._asked_twice()
