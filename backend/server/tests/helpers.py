"""Helpers of the server's tests: reading what a server wrote, and running `python -m server`."""

import contextlib
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from devtools.waiting import answers, wait_until

BACKEND_DIR = Path(__file__).resolve().parents[2]
# The slow-reader bound of the in-memory connections (conftest.py).
BOUND = 64 * 1024
TEXT, BINARY, CLOSE = 0x1, 0x2, 0x8


@dataclass(frozen=True)
class Frame:
    opcode: int
    data: bytes


def parse_frames(data: bytes) -> list[Frame]:
    """Split what a server wrote into its frames (final, unmasked: RFC 6455, section 5.2)."""
    frames = []
    while data:
        assert data[0] & 0x80 and not data[1] & 0x80, "a server's frames are final and unmasked"
        length, offset = data[1] & 0x7F, 2
        if length == 126:
            (length,), offset = struct.unpack("!H", data[2:4]), 4
        elif length == 127:
            (length,), offset = struct.unpack("!Q", data[2:10]), 10
        assert len(data) >= offset + length, "a frame is incomplete"
        frames.append(Frame(data[0] & 0x0F, data[offset : offset + length]))
        data = data[offset + length :]
    return frames


def close_code(frame: Frame) -> int:
    assert frame.opcode == CLOSE
    return struct.unpack("!H", frame.data[:2])[0]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a new server could listen on the port (as the supervisor binds it)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen(1)
        except OSError:
            return False
    return True


def server_env(data_dir: Path, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production server on a database file in ``data_dir``."""
    return {
        **os.environ,
        # The production settings, not the test suite's (this process has those).
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
        "CHAT_DATA_DIR": str(data_dir),
        "REDIS_URL": redis_url,
        "CHAT_REDIS_PREFIX": f"servertest{os.getpid()}",
        **extra,
    }


def start_server(
    port: int, env: dict[str, str], *, workers: int = 1, log: Path
) -> subprocess.Popen:
    """Start `python -m server` and wait until it answers /healthz."""
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "--port", str(port), "--workers", str(workers)],
            cwd=BACKEND_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            process_group=0,  # its workers too, so a failed test can end them all
        )

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log}")
        return answers(f"http://127.0.0.1:{port}/healthz")

    try:
        wait_until(ready, timeout=60, what=f"the server on port {port}")
    except BaseException:
        kill_all(process)
        raise
    return process


def run_to_end(
    args: list[str], env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run `python -m server ARGS` until it exits by itself; kill it and its workers after
    ``timeout``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "server", *args],
        cwd=BACKEND_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_all(process)
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def kill_all(process: subprocess.Popen) -> None:
    """Kill a server started by start_server() and its workers, if any are left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
