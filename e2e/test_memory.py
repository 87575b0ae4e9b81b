"""A worker's memory under clients that ask for replays and never read them."""

import base64
import functools
import json
import os
import secrets
import socket
from pathlib import Path

import pytest

from devtools.processes import descendants
from devtools.waiting import wait_until

ROOM = "memory"
MESSAGES = 1000
TEXT_LENGTH = 4000
STALLED_CLIENTS = 40
RESUMES_EACH = 8
MIB = 1024 * 1024
# Each stalled client may hold the send bound (4 MiB) and a replay page; the
# worker grew by over 1,300 MiB when a replay was queued whole for each resume.
GROWTH_WHILE_STALLED_MAX = 400 * MIB
# What the worker may keep once they are gone (allocator slack, caches).
GROWTH_AFTER_MAX = 64 * MIB


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def connections_served(port: int) -> int:
    """Established TCP connections whose local end is ``port`` (the server's side)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            if int(local.rsplit(":", 1)[1], 16) == port and state == "01":
                count += 1
    return count


def cut_off_count(server) -> int:
    return server.log_path.read_text(errors="replace").count("not reading")


def client_frame(text: str) -> bytes:
    """A masked text frame, as a client sends it (short texts only)."""
    payload = text.encode()
    assert len(payload) < 126
    mask = secrets.token_bytes(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def stalled_client(port: int, asks: str) -> socket.socket:
    """Open a WebSocket with a small receive buffer, read only the handshake's answer,
    and ask for the whole room: with ``?after=0`` ("after"), or ``resume`` frames."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    query = "?after=0" if asks == "after" else ""
    sock.sendall(
        (
            f"GET /ws/chat/{ROOM}/{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Origin: http://127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)  # one byte at a time: nothing past the handshake is read
    assert answer.startswith(b"HTTP/1.1 101"), answer
    for _ in range(RESUMES_EACH if asks == "resume" else 0):
        sock.sendall(client_frame(json.dumps({"type": "resume", "after": 0})))
    return sock


@pytest.fixture
def server_and_worker(start_server, seed_messages):
    seed_messages(ROOM, [f"{n:04d}" + "x" * (TEXT_LENGTH - 4) for n in range(MESSAGES)])
    server = start_server(workers=1)
    workers: set[int] = set()
    wait_until(lambda: workers.update(descendants(server.process.pid)) or workers,
               timeout=10, what="the worker process")  # fmt: skip
    (worker,) = workers
    return server, worker


@pytest.mark.parametrize("asks", ["resume", "after"])
def test_clients_that_never_read_their_replays_hold_bounded_memory_given_back(
    server_and_worker, asks
):
    server, worker = server_and_worker
    port = server.port
    # One round first, so that what is made once (code, caches) counts as the baseline.
    for sock in [stalled_client(port, asks) for _ in range(4)]:
        sock.close()
    wait_until(lambda: connections_served(port) == 0, timeout=60, what="the warm-up to end")
    baseline, cut_off_before = rss(worker), cut_off_count(server)

    peak = baseline

    def stalled(round_number: int) -> bool:
        nonlocal peak
        peak = max(peak, rss(worker))
        if asks == "resume":
            # Each is cut off once it has left the bound unread for the grace period,
            # though nothing more is sent to the room.
            expected = round_number * STALLED_CLIENTS
            return cut_off_count(server) - cut_off_before >= expected
        # The whole room (about 4 MB) is within the bound: each keeps it unread.
        return peak - baseline > STALLED_CLIENTS * MIB

    for round_number in range(1, 3):
        sockets = [stalled_client(port, asks) for _ in range(STALLED_CLIENTS)]
        wait_until(functools.partial(stalled, round_number), timeout=90,
                   what="the clients to be stalled")  # fmt: skip
        for sock in sockets:
            sock.close()
        assert peak - baseline < GROWTH_WHILE_STALLED_MAX, (
            f"grew by {(peak - baseline) // MIB} MiB with {STALLED_CLIENTS} stalled clients"
        )
        wait_until(lambda: connections_served(port) == 0, timeout=60,
                   what="the connections to close")  # fmt: skip
        wait_until(lambda: rss(worker) - baseline < GROWTH_AFTER_MAX, timeout=30,
                   what=f"the worker's memory back near {baseline // MIB} MiB")  # fmt: skip
