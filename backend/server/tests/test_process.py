"""`python -m server` as deployed: real processes, a real port, a real Redis."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import websockets

from chat.protocol import CloseCode
from devtools.processes import group_alive
from devtools.waiting import free_port, wait_until
from server.supervisor import EXIT_CANNOT_START
from server.tests.helpers import (
    BACKEND_DIR,
    kill_all,
    port_is_free,
    run_to_end,
    server_env,
    start_server,
)

STOP_TIMEOUT = 40  # the supervisor's own (20 s) and then some


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, redis_url) -> Path:
    """A database file with the chat's tables, shared by this module's servers."""
    path = tmp_path_factory.mktemp("server")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=BACKEND_DIR,
        env=server_env(path, redis_url),
        check=True,
    )
    return path


@pytest.fixture
def run_server(data_dir, redis_url, tmp_path):
    """Start `python -m server` on a free port; whatever is left of it is killed afterwards."""
    started: list[subprocess.Popen] = []

    def run(workers: int = 1, **env: str) -> tuple[subprocess.Popen, int, Path]:
        port = free_port()
        log = tmp_path / f"server-{len(started)}.log"
        process = start_server(
            port, server_env(data_dir, redis_url, **env), workers=workers, log=log
        )
        started.append(process)
        return process, port, log

    yield run
    for process in started:
        kill_all(process)


def _group_gone(pgid: int) -> bool:
    return not group_alive(pgid)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_stops_every_worker_and_frees_the_port(run_server, signum):
    process, port, _ = run_server(workers=2)
    process.send_signal(signum)
    assert process.wait(timeout=STOP_TIMEOUT) == 0
    # The supervisor waited for its workers (they share its process group).
    assert _group_gone(process.pid)
    assert port_is_free(port)


def test_new_connections_are_refused_while_the_workers_close_their_websockets(run_server):
    process, port, _ = run_server(workers=1)

    async def scenario() -> None:
        url = f"ws://127.0.0.1:{port}/ws/chat/stopping/"
        async with websockets.connect(url, origin=f"http://127.0.0.1:{port}") as page:
            await page.recv()  # open: the worker now has a WebSocket to close
            process.send_signal(signal.SIGTERM)
            await page.wait_closed()
        assert page.close_code == CloseCode.SERVICE_RESTART

    asyncio.run(scenario())
    assert process.poll() is None, "still within the workers' grace period"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert process.wait(timeout=STOP_TIMEOUT) == 0


def test_a_busy_port_is_named_in_one_line_and_exits_non_zero():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_to_end(["--port", str(port)])
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(port) in lines[0] and "--port" in lines[0]
    assert result.stdout == ""


def test_a_worker_that_cannot_start_stops_the_server(data_dir, redis_url, tmp_path):
    port = free_port()
    env = server_env(data_dir, redis_url)
    env.pop("DJANGO_SECRET_KEY")  # required with DEBUG off
    result = run_to_end(["--port", str(port), "--workers", "2"], env)
    assert result.returncode == EXIT_CANNOT_START
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert port_is_free(port)


def test_the_workers_of_a_killed_supervisor_stop_by_themselves(run_server):
    process, port, _ = run_server(workers=2)
    process.kill()  # no signal reaches the workers
    process.wait()
    wait_until(lambda: _group_gone(process.pid), timeout=30, what="the orphaned workers to stop")
    assert port_is_free(port)


def test_a_worker_whose_supervisor_died_while_it_started_stops_by_itself(data_dir, redis_url):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a supervisor that is no more
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        worker = subprocess.Popen(
            [sys.executable, "-m", "server", "--fd", str(sock.fileno()),
             "--supervisor", str(gone.pid)],
            cwd=BACKEND_DIR, env=server_env(data_dir, redis_url), pass_fds=(sock.fileno(),),
            start_new_session=True,
        )  # fmt: skip
        try:
            assert worker.wait(timeout=STOP_TIMEOUT) == 0
        finally:
            kill_all(worker)


async def _until_ready(connection) -> None:
    while json.loads(await asyncio.wait_for(connection.recv(), 10))["type"] != "ready":
        pass


async def _close_code(connection, timeout: float = 30) -> int:
    """Read everything left until the server's close frame; its code."""
    with pytest.raises(websockets.ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(connection.recv(), timeout)
    return closed.value.rcvd.code


async def test_sigterm_closes_open_websockets_with_service_restart(run_server):
    process, port, _ = run_server()
    base = f"http://127.0.0.1:{port}"
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/chat/lobby/", origin=base) as page:
        await _until_ready(page)
        process.send_signal(signal.SIGTERM)
        assert await _close_code(page) == CloseCode.SERVICE_RESTART
    assert await asyncio.to_thread(process.wait, STOP_TIMEOUT) == 0


async def test_a_client_that_stops_reading_in_a_quiet_room_is_cut_off(run_server):
    bound = 128 * 1024
    process, port, log = run_server(CHAT_RATE_LIMIT="0", CHAT_SEND_BUFFER_MAX_BYTES=str(bound))
    base, url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws/chat/quiet/"
    # About 470 kB: past the bound once the kernel's buffers are full, but far
    # from eight times it, so only the grace period can cut the client off.
    count, text = 120, "x" * 3900
    # A small receive buffer and max_queue=1: once a frame waits, nothing more is read.
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow = await websockets.connect(url, origin=base, sock=sock, max_queue=1)
    await _until_ready(slow)
    async with websockets.connect(url, origin=base, max_queue=None) as writer:
        await _until_ready(writer)
        for n in range(count):
            await writer.send(json.dumps({"message": f"{n} {text}", "nonce": str(n)}))
        delivered = 0
        while delivered < count:
            frame = json.loads(await asyncio.wait_for(writer.recv(), 30))
            delivered += frame["type"] == "message"
        # From here on the room is quiet: nothing more is sent to the slow client.
        await asyncio.to_thread(
            wait_until,
            lambda: "not reading" in log.read_text(),
            timeout=30,
            what="the server to cut the slow client off",
        )
        assert await _close_code(slow) == CloseCode.TOO_SLOW


def _ignores_sigint(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    ignored = int(
        next(line for line in status.splitlines() if line.startswith("SigIgn:")).split()[1], 16
    )
    return bool(ignored & (1 << (signal.SIGINT - 1)))


def test_workers_ignore_ctrl_c_from_their_first_instruction(run_server):
    """Ctrl-C reaches a worker still importing Django too: ignored, it can't end in a
    KeyboardInterrupt traceback; the supervisor's SIGTERM stops the worker instead."""
    process, _port, _log = run_server(workers=2)
    workers = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert len(workers) == 2
    assert all(_ignores_sigint(int(pid)) for pid in workers)
    assert not _ignores_sigint(process.pid)


def test_ctrl_c_in_a_terminal_stops_everything_cleanly(run_server):
    process, port, log = run_server(workers=2)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal does: every process in the group
    assert process.wait(timeout=STOP_TIMEOUT) == 0
    assert _group_gone(process.pid)
    assert port_is_free(port)
    assert "Traceback" not in log.read_text()


def test_requests_under_way_when_the_server_stops_leave_no_traceback(run_server):
    process, port, log = run_server(workers=2)
    stop = threading.Event()
    answered = []

    def keep_asking() -> None:
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                    sock.sendall(b"GET /chat/lobby/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    answered.append(sock.recv(16))
            except OSError:
                pass

    askers = [threading.Thread(target=keep_asking, daemon=True) for _ in range(8)]
    for asker in askers:
        asker.start()
    try:
        wait_until(lambda: len(answered) > 20, timeout=10, what="requests answered")
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=STOP_TIMEOUT) == 0
    finally:
        stop.set()
        for asker in askers:
            asker.join(timeout=5)
    assert "Traceback" not in log.read_text()


def _post_head(port: int, path: str, content_length: int) -> bytes:
    """Send only the head of a POST declaring ``content_length``; returns the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {content_length}\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_huge_body_is_refused_by_the_server_before_it_is_sent(run_server):
    _, port, _ = run_server(workers=1, CHAT_REQUEST_BODY_MAX_KB="64", CHAT_UPLOAD_MAX_MB="1")
    # The answer comes while the body has not been sent at all: nothing of it was read.
    answer = _post_head(port, "/api/rooms/general/messages/", 2**30)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["code"] == "body_too_large"
    answer = _post_head(port, "/api/rooms/general/attachments/", 2 * 1024 * 1024)
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {
        "type": "error",
        "code": "file_too_large",
        "detail": "A file may be at most 1 MiB.",
    }
