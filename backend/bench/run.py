"""Run the benchmark: start Redis and the servers, run the scenarios, print and save.

    python -m bench.run [--compare] [--quick] [--workers N] [--processes N]
                        [--postgres URL] [--only SCENARIO] [--json PATH]

Exits with status 1 when the chat loses or duplicates a delivery, or when a scenario
can't finish.
"""

import argparse
import dataclasses
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import loadgen
from bench.swarm import Swarm
from devtools.chat_server import BACKEND_DIR, ChatServer
from devtools.redis_server import RedisServer, server_binary
from devtools.waiting import free_port, port_open, stop_process, wait_until
from server.limits import raise_open_file_limit


@dataclass(frozen=True)
class Load:
    """One broadcast scenario: ``senders`` of ``clients`` each post ``messages``."""

    clients: int
    senders: int
    messages: int
    rate: float | None = None  # messages/s per sender; None: as fast as possible
    rooms: int = 1


@dataclass(frozen=True)
class Storm:
    rooms: int
    per_room: int
    rate: float  # one sender per room
    before_s: float  # posting before the restart
    after_s: float  # and after the server answers /healthz again


@dataclass(frozen=True)
class Sockets:
    connections: int
    per_room: int
    workers: int  # the chat's own worker count for this scenario
    steady: Load | None  # broadcast in another room while all are held


@dataclass(frozen=True)
class Sizes:
    burst: Load = Load(clients=50, senders=5, messages=200)
    steady: Load = Load(clients=100, senders=2, messages=200, rate=20.0)  # 10 s at 20 msg/s
    rooms: Load = Load(clients=200, senders=1, messages=50, rooms=200)  # 10,000 posts
    connect: tuple[int, int] = (20, 100)  # rooms, clients per room
    sockets: Sockets = field(
        default_factory=lambda: Sockets(20000, 1000, 2, Load(100, 2, 200, 20.0))
    )
    storm: Storm = Storm(rooms=5, per_room=1000, rate=20.0, before_s=2.0, after_s=5.0)


QUICK = Sizes(
    burst=Load(clients=20, senders=2, messages=50),
    steady=Load(clients=20, senders=2, messages=40, rate=20.0),
    rooms=Load(clients=20, senders=1, messages=20, rooms=20),
    connect=(4, 25),
    sockets=Sockets(200, 50, 1, Load(20, 2, 20, 20.0)),
    storm=Storm(rooms=2, per_room=25, rate=10.0, before_s=1.0, after_s=2.0),
)


class Reference:
    """A reference server in a child process."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict[str, str]) -> None:
        self.name, self.port = name, port
        self.base_url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            argv, cwd=BACKEND_DIR, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: port_open("127.0.0.1", port), timeout=30, what=f"the {name} server")

    @property
    def pids(self) -> list[int]:
        return [self.process.pid]

    def stop(self) -> None:
        stop_process(self.process)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


SCENARIOS = ("burst", "steady", "rooms", "connect", "sockets", "storm", "search")
# search runs when asked for: it needs PostgreSQL.
DEFAULT_SCENARIOS = ("burst", "steady", "rooms", "connect", "sockets", "storm")
# A server restarted under thousands of reconnecting clients may answer /healthz late.
STORM_START_TIMEOUT = 180
REFERENCE_SCENARIOS = ("burst", "steady", "rooms", "connect", "sockets")  # storm: the chat's


def _scenarios(swarm: Swarm, name: str, base_url: str, pids: list[int], sizes: Sizes,
               only: list[str], people: Callable[[list[str], int], list[str]] | None = None,
               ) -> list[loadgen.Result]:  # fmt: skip
    """Every scenario but the storm and sockets (which need servers of their own). The
    chat's ``connect`` is a row for each of ``loadgen.CONNECT_CASES`` (``people`` signs
    the people of the ``user`` case in); a reference's, one row of cookie-less clients."""
    ready = name == "chat"  # the references send no ``ready`` frame
    results = []
    for scenario in ("burst", "steady", "rooms"):
        if scenario in only:
            load = dataclasses.asdict(getattr(sizes, scenario))
            results.append(loadgen.broadcast_run(
                swarm, name, scenario, base_url, pids, ready=ready, **load
            ))  # fmt: skip
    if "connect" in only:
        rooms, per_room = sizes.connect
        for case in loadgen.CONNECT_CASES if name == "chat" else (None,):
            results.append(loadgen.connect_run(
                swarm, name, base_url, pids, rooms=rooms, per_room=per_room, ready=ready,
                case=case, people=people,
            ))  # fmt: skip
    return results


def _sockets(swarm: Swarm, name: str, base_url: str, pids: list[int], sizes: Sizes):
    steady = sizes.sockets.steady
    return loadgen.sockets_run(
        swarm, name, base_url, pids, connections=sizes.sockets.connections,
        per_room=sizes.sockets.per_room, ready=name == "chat",
        steady=dataclasses.asdict(steady) if steady else None,
    )  # fmt: skip


COLUMNS = [
    ("scenario", "scenario"), ("server", "server"), ("msg/s", "per_second"),
    ("stored/s", "stored_per_second"), ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"),
    ("max ms", "max_ms"), ("lost", "lost"), ("dup", "duplicated"),
    ("conn/s", "connects_per_second"), ("KiB/conn", "memory_per_connection_kib"),
    ("CPU us/msg", "server_cpu_us_per_message"), ("CPU ms/conn", "server_cpu_ms_per_connection"),
    ("presence/client", "presence_frames_per_client"), ("catch-up s", "catch_up_s"),
    ("back p95 s", "back_p95_s"), ("post ms", "post_after_restart_ms"),
    ("gen CPU %", "generator_cpu_pct"), ("retries", "connect_retries"),
]  # fmt: skip
# What each scenario reports (the other columns stay empty for it).
SHOWN = {
    "burst": {"per_second", "p50_ms", "p99_ms", "max_ms", "lost", "duplicated",
              "server_cpu_us_per_message", "generator_cpu_pct"},
    "steady": {"per_second", "p50_ms", "p99_ms", "max_ms", "lost", "duplicated",
               "generator_cpu_pct"},
    "rooms": {"per_second", "stored_per_second", "p50_ms", "p99_ms", "lost", "duplicated",
              "generator_cpu_pct"},
    "connect": {"connects_per_second", "server_cpu_ms_per_connection",
                "presence_frames_per_client", "generator_cpu_pct"},
    "sockets": {"connects_per_second", "memory_per_connection_kib"},
    "sockets+steady": {"per_second", "p50_ms", "p99_ms", "max_ms", "lost", "duplicated"},
    "storm": {"p50_ms", "p99_ms", "max_ms", "lost", "duplicated", "catch_up_s",
              "back_p95_s", "post_after_restart_ms"},
}  # fmt: skip
SHOWN |= {f"connect-{case}": SHOWN["connect"] for case in loadgen.CONNECT_CASES}
CASE_ORDER = {f"connect-{case}": index for index, case in enumerate(loadgen.CONNECT_CASES)}


def _compared_as(scenario: str) -> str:
    """The references' scenario a chat scenario is compared with: their one ``connect``
    for each of the chat's ``connect-<case>``."""
    return "connect" if scenario in CASE_ORDER else scenario


def _cell(result: loadgen.Result, key: str) -> str:
    if key in ("scenario", "server"):
        return getattr(result, key)
    value = getattr(result, key)
    if key == "connect_retries":
        return str(value) if value else ""
    if key not in SHOWN.get(result.scenario, ()) or value is None:
        return ""
    if key == "generator_cpu_pct" and result.generator_bound:
        return f"{value} (bound)"
    return f"{value:,}" if isinstance(value, int | float) and abs(value) >= 1000 else str(value)


def _table(results: list[loadgen.Result]) -> str:
    columns = [(title, key) for title, key in COLUMNS
               if any(_cell(r, key) for r in results)]  # fmt: skip
    ours: dict[str, list[loadgen.Result]] = {}
    for result in results:
        if result.server == "chat":
            ours.setdefault(_compared_as(result.scenario), []).append(result)
    rows = [[title for title, _ in columns] + ["vs chat"]]
    order = sorted(results, key=lambda r: (
        _compared_as(r.scenario), r.server != "chat", CASE_ORDER.get(r.scenario, 0), r.server,
    ))  # fmt: skip
    for result in order:
        row = [_cell(result, key) for _, key in columns]
        row.append(_ratio(ours.get(_compared_as(result.scenario), []), result))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(lines)


def _ratio(ours: list[loadgen.Result], other: loadgen.Result) -> str:
    """How the chat compares: rates as ×, latency, CPU and memory as multiples of the other;
    for each of ``ours`` (the chat's rows of the scenario), named when there are several
    (the connect cases, against the reference's one connect row)."""
    if other.server == "chat":
        return ""
    pairs = {
        "per_second": "msg/s", "connects_per_second": "conn/s", "p99_ms": "p99",
        "memory_per_connection_kib": "mem", "server_cpu_us_per_message": "CPU/msg",
        "server_cpu_ms_per_connection": "CPU/conn",
    }  # fmt: skip
    compared = []
    for mine in ours:
        parts = []
        for key, label in pairs.items():
            if key not in SHOWN.get(other.scenario, ()):
                continue
            chat, theirs = getattr(mine, key), getattr(other, key)
            if chat and theirs:
                parts.append(f"{chat / theirs:.2f}x {label}")
        if parts and len(ours) > 1:
            parts[0] = f"{mine.scenario.removeprefix('connect-')}: {parts[0]}"
        compared.append(", ".join(parts))
    return "; ".join(part for part in compared if part)


def _postgres_url(base: str) -> str:
    """A new, empty database next to ``base`` (a postgres:// URL) for this run."""
    import psycopg

    name = f"chat_bench_{secrets.token_hex(4)}"
    with psycopg.connect(base, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def _drop_postgres(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Run:
    """The servers of one benchmark run, on one Redis and one database."""

    def __init__(self, args, work_dir: Path, redis: RedisServer, database_url: str) -> None:
        self.args, self.work_dir = args, work_dir
        self.log_dir = args.log_dir or work_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "REDIS_URL": redis.url,
            "DATABASE_URL": database_url,
            "CHAT_DATA_DIR": str(work_dir),
            "CHAT_RATE_LIMIT": "0",
            "CHAT_THROTTLE_SCALE": "0",
            "CHAT_MAX_CONNECTIONS_PER_IP": "0",
            "CHAT_MAX_CONNECTIONS_PER_PERSON": "0",
            # The tutorial's visitors: guests in public rooms (off by default in production).
            "CHAT_GUESTS": "on",
            "DJANGO_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=BACKEND_DIR, env={**os.environ, **self.env}, check=True,
        )  # fmt: skip
        self.redis = redis

    def people(self, rooms: list[str], count: int) -> list[str]:
        """``count`` people signed in, each a member of every room of ``rooms`` (made
        public if new), straight in the chat's database (bench/people.py): the session
        cookie of each."""
        made = subprocess.run(
            [sys.executable, "-m", "bench.people", "--count", str(count), *rooms],
            cwd=BACKEND_DIR, capture_output=True, text=True,
            env={**os.environ, **self.env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        )  # fmt: skip
        if made.returncode:
            raise RuntimeError(f"bench.people: {(made.stderr.strip().splitlines() or ['?'])[-1]}")
        answer = json.loads(made.stdout)
        return [f"{answer['cookie']}={key}" for key in answer["sessions"]]

    def chat(self, workers: int) -> ChatServer:
        print(f"chat ({workers} worker(s))…", flush=True)
        return ChatServer(
            "127.0.0.1", free_port(), self.env, log_path=self.log_dir / "chat.log",
            workers=workers,
        ).start()  # fmt: skip

    def reference(self, name: str) -> "Reference":
        argv = {
            "floor": [sys.executable, "-m", "daphne", "-p", "{port}",
                      "bench.floor.asgi:application"],
            "ceiling": [sys.executable, "-m", "bench.ceiling", "--port", "{port}"],
        }[name]  # fmt: skip
        port = free_port()
        print(f"{name}…", flush=True)
        return Reference(
            name, [part.replace("{port}", str(port)) for part in argv], port,
            {"REDIS_URL": self.redis.url, "DJANGO_SETTINGS_MODULE": "bench.floor.settings"},
        )  # fmt: skip


def _run_all(
    run: Run, swarm: Swarm, sizes: Sizes, only: list[str], failures: list[str]
) -> list[loadgen.Result]:
    """Every scenario asked for; one that can't finish is told in ``failures`` and the
    others still run."""
    args, results = run.args, []

    def attempt(what: str, scenarios) -> None:
        try:
            results.extend(scenarios())
        except Exception as error:  # noqa: BLE001 - reported, and the run fails
            failures.append(f"{what}: {type(error).__name__}: {error}")
            print(f"FAILED {what}: {error}", file=sys.stderr, flush=True)

    def on_chat(workers: int, scenarios) -> list[loadgen.Result]:
        chat = run.chat(workers)
        try:
            return scenarios(chat)
        finally:
            chat.stop()

    def pids(server: ChatServer) -> list[int]:
        return _children(server.process.pid)

    if set(only) - {"storm", "sockets"}:
        attempt("chat", lambda: on_chat(args.workers, lambda chat: _scenarios(
            swarm, "chat", chat.base_url, pids(chat), sizes, only, run.people)))  # fmt: skip
    if "sockets" in only:
        attempt("chat sockets", lambda: on_chat(sizes.sockets.workers, lambda chat: _sockets(
            swarm, "chat", chat.base_url, pids(chat), sizes)))  # fmt: skip
    if "storm" in only:

        def storm(chat: ChatServer) -> list[loadgen.Result]:
            def restart() -> None:
                chat.stop()
                chat.start(timeout=STORM_START_TIMEOUT)

            return [loadgen.storm_run(swarm, chat.base_url, restart=restart,
                                      **dataclasses.asdict(sizes.storm))]  # fmt: skip

        attempt("chat storm", lambda: on_chat(args.workers, storm))
    if args.compare:
        compared = [name for name in only if name in REFERENCE_SCENARIOS]
        for name in ("floor", "ceiling") if compared else ():

            def reference(name=name) -> list[loadgen.Result]:
                ref = run.reference(name)
                try:
                    found = _scenarios(swarm, name, ref.base_url, ref.pids, sizes, compared)
                    if "sockets" in compared:
                        found += _sockets(swarm, name, ref.base_url, ref.pids, sizes)
                    return found
                finally:
                    ref.stop()

            attempt(name, reference)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also run the two references")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--workers", type=int, default=1, help="the chat's worker processes")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="the load generator's processes (default: one per core)")  # fmt: skip
    parser.add_argument(
        "--postgres", metavar="URL", help="run the chat on a new database beside URL's"
    )
    parser.add_argument(
        "--only", action="append", choices=SCENARIOS, help="run this scenario (repeatable)"
    )
    parser.add_argument("--json", type=Path, help="where to write the results as JSON")
    parser.add_argument("--log-dir", type=Path, help="keep the chat's log here (chat.log)")
    parser.add_argument("--storm-clients", type=int, metavar="N",
                        help="the storm's clients (default 5,000 in 5 rooms)")  # fmt: skip
    parser.add_argument("--storm-rate", type=float, metavar="R",
                        help="messages a second each room's sender posts in the storm "
                             "(default 20)")  # fmt: skip
    args = parser.parse_args()
    only = args.only or list(DEFAULT_SCENARIOS)
    sizes = QUICK if args.quick else Sizes()
    if args.storm_clients:
        per_room = max(args.storm_clients // sizes.storm.rooms, 1)
        sizes = dataclasses.replace(
            sizes, storm=dataclasses.replace(sizes.storm, per_room=per_room)
        )
    if args.storm_rate:
        sizes = dataclasses.replace(
            sizes, storm=dataclasses.replace(sizes.storm, rate=args.storm_rate)
        )
    if "search" in only:
        # In-process against PostgreSQL (bench/search.py), apart from the servers.
        messages = ["--messages", "20000"] if args.quick else []
        subprocess.run([sys.executable, "-m", "bench.search", *messages], cwd=BACKEND_DIR,
                       check=True)  # fmt: skip
        only = [name for name in only if name != "search"]
        if not only:
            return 0

    files = raise_open_file_limit()
    results: list[loadgen.Result] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as work:
        work_dir = Path(work)
        database = _postgres_url(args.postgres) if args.postgres else None
        redis = RedisServer(server_binary()[0], free_port(), work_dir / "redis").start()
        swarm = Swarm(args.processes)
        try:
            run = Run(args, work_dir, redis, database or f"sqlite:///{work_dir / 'db.sqlite3'}")
            results = _run_all(run, swarm, sizes, only, failures)
        finally:
            swarm.stop()
            redis.stop()
            if database:
                _drop_postgres(database)

    print()
    print(_table(results))
    engine = "PostgreSQL" if args.postgres else "SQLite"
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\nMachine: {machine}; {engine}; the load generator ({swarm.processes} processes, "
          f"{files} files each) runs on the same machine.")  # fmt: skip
    bound = [r for r in results if r.generator_bound]
    for r in bound:
        print(f"Note: {r.server} {r.scenario} was limited by the load generator "
              f"({r.generator_cpu_pct} % of its cores).")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": machine,
            "database": engine,
            "sizes": dataclasses.asdict(sizes),
            "results": [r.as_dict() for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"Results: {args.json}")
    ours = [r for r in results if r.server == "chat"]
    failed = [r for r in ours if r.lost or r.duplicated]
    for r in failed:
        print(f"FAIL: chat {r.scenario}: {r.lost} lost, {r.duplicated} duplicated", file=sys.stderr)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failed or failures else 0


if __name__ == "__main__":
    sys.exit(main())
