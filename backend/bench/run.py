"""Run the benchmark: start Redis and the servers, run the scenarios, print and save.

    python -m bench.run [--compare] [--quick] [--workers N] [--only SCENARIO] [--json PATH]

Exits with status 1 when the chat loses or duplicates a delivery.
"""

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import loadgen
from devtools.chat_server import BACKEND_DIR, ChatServer
from devtools.redis_server import RedisServer, server_binary
from devtools.waiting import free_port, port_open, stop_process, wait_until


@dataclass(frozen=True)
class Load:
    """One broadcast scenario: ``senders`` of ``clients`` each post ``messages``."""

    clients: int
    senders: int
    messages: int
    rate: float | None = None  # messages/s per sender; None: as fast as possible


@dataclass(frozen=True)
class Sizes:
    burst: Load = Load(clients=50, senders=5, messages=200)
    steady: Load = Load(clients=100, senders=2, messages=200, rate=20.0)  # 10 s at 20 msg/s
    idle_connections: int = 5000


QUICK = Sizes(
    burst=Load(clients=20, senders=2, messages=50),
    steady=Load(clients=20, senders=2, messages=40, rate=20.0),
    idle_connections=200,
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


SCENARIOS = ("burst", "steady", "idle", "search")
DEFAULT_SCENARIOS = ("burst", "steady", "idle")  # search runs when asked for: it needs PostgreSQL


async def _scenarios(
    name: str, base_url: str, pids: list[int], sizes: Sizes, only: list[str]
) -> list:
    results = []
    for scenario, load in (("burst", sizes.burst), ("steady", sizes.steady)):
        if scenario in only:
            results.append(
                await loadgen.broadcast_run(name, scenario, base_url, **dataclasses.asdict(load))
            )
    if "idle" in only:
        results.append(
            await loadgen.idle_run(name, base_url, connections=sizes.idle_connections, pids=pids)
        )
    return results


def _table(results: list[loadgen.Result]) -> str:
    columns = [
        ("scenario", "scenario"), ("server", "server"), ("msg/s", "per_second"),
        ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"), ("max ms", "max_ms"), ("lost", "lost"),
        ("dup", "duplicated"), ("conn/s", "connects_per_second"),
        ("KiB/conn", "memory_per_connection_kib"),
    ]  # fmt: skip
    ours = {r.scenario: r for r in results if r.server == "chat"}
    rows = [[title for title, _ in columns] + ["vs chat"]]
    for result in sorted(results, key=lambda r: (r.scenario, r.server != "chat", r.server)):
        row = [str(getattr(result, key)) for _, key in columns]
        mine = ours.get(result.scenario)
        row.append(_ratio(mine, result))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(lines)


def _ratio(ours, other) -> str:
    """How the chat compares: throughput ×, latency and memory as multiples of the other."""
    if ours is None or other is ours:
        return ""
    if other.scenario == "idle":
        if ours.memory_per_connection_kib and other.memory_per_connection_kib:
            return f"{ours.memory_per_connection_kib / other.memory_per_connection_kib:.2f}x mem"
        return ""
    parts = []
    if other.per_second:
        parts.append(f"{ours.per_second / other.per_second:.2f}x msg/s")
    if other.p99_ms:
        parts.append(f"{ours.p99_ms / other.p99_ms:.2f}x p99")
    return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true", help="also run the two references")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--workers", type=int, default=1, help="the chat's worker processes")
    parser.add_argument(
        "--only", action="append", choices=SCENARIOS, help="run this scenario (repeatable)"
    )
    parser.add_argument("--json", type=Path, help="where to write the results as JSON")
    args = parser.parse_args()
    only = args.only or list(DEFAULT_SCENARIOS)
    sizes = QUICK if args.quick else Sizes()
    if "search" in only:
        # In-process against PostgreSQL (bench/search.py), apart from the servers.
        messages = ["--messages", "20000"] if args.quick else []
        subprocess.run([sys.executable, "-m", "bench.search", *messages], cwd=BACKEND_DIR,
                       check=True)  # fmt: skip
        only = [name for name in only if name != "search"]
        if not only:
            return 0

    results: list[loadgen.Result] = []
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as work:
        work_dir = Path(work)
        redis = RedisServer(server_binary()[0], free_port(), work_dir / "redis").start()
        env = {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "REDIS_URL": redis.url,
            "DATABASE_URL": f"sqlite:///{work_dir / 'db.sqlite3'}",
            "CHAT_DATA_DIR": str(work_dir),
            "CHAT_RATE_LIMIT": "0",
            "CHAT_MAX_CONNECTIONS_PER_IP": "0",
            "CHAT_MAX_CONNECTIONS_PER_PERSON": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
        }
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=BACKEND_DIR, env={**os.environ, **env}, check=True,
        )  # fmt: skip
        try:
            chat = ChatServer(
                "127.0.0.1", free_port(), env, log_path=work_dir / "chat.log",
                workers=args.workers,
            ).start()  # fmt: skip
            try:
                print(f"chat ({args.workers} worker(s))…", flush=True)
                pids = _children(chat.process.pid)
                results += asyncio.run(_scenarios("chat", chat.base_url, pids, sizes, only))
            finally:
                chat.stop()
            if args.compare:
                references = [
                    ("floor", [sys.executable, "-m", "daphne", "-p", "{port}",
                               "bench.floor.asgi:application"]),
                    ("ceiling", [sys.executable, "-m", "bench.ceiling", "--port", "{port}"]),
                ]  # fmt: skip
                for name, argv in references:
                    port = free_port()
                    print(f"{name}…", flush=True)
                    ref = Reference(
                        name, [part.replace("{port}", str(port)) for part in argv], port,
                        {"REDIS_URL": redis.url, "DJANGO_SETTINGS_MODULE": "bench.floor.settings"},
                    )  # fmt: skip
                    try:
                        scenarios = _scenarios(name, ref.base_url, ref.pids, sizes, only)
                        results += asyncio.run(scenarios)
                    finally:
                        ref.stop()
        finally:
            redis.stop()

    print()
    print(_table(results))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"\nMachine: {machine}; the load generator runs on the same machine.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": machine,
            "sizes": dataclasses.asdict(sizes),
            "results": [r.as_dict() for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"Results: {args.json}")
    ours = [r for r in results if r.server == "chat"]
    failed = [r for r in ours if r.lost or r.duplicated]
    for r in failed:
        print(f"FAIL: chat {r.scenario}: {r.lost} lost, {r.duplicated} duplicated", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
