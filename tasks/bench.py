"""``bench``: the load generator (backend/bench/)."""

from pathlib import Path

from invoke import task

from .common import BACKEND, PYTHON, data_dir


@task(
    help={
        "compare": "also run the references: the tutorial's design (floor) and a bare "
        "websockets broadcaster (ceiling)",
        "quick": "small sizes: a smoke run that checks nothing is lost",
        "workers": "the chat's worker processes (default 1; the sockets scenario uses 2)",
        "processes": "the load generator's processes (default: one per core)",
        "postgres": "a postgres:// URL: run the chat on a new database beside it (default: SQLite)",
        "only": "comma-separated scenarios to run: burst, steady, rooms, connect (a row each "
        "for visitors, guests and signed-in people), sockets, storm (the default: all six), "
        "search (on PostgreSQL: DATABASE_URL, or the local socket's chat_bench_search database)",
        "json": "where to write the results (default: bench/results.json in the data folder)",
        "log_dir": "keep the chat's log (chat.log) in this folder",
        "storm_clients": "the storm's clients (default 5,000 in 5 rooms)",
        "storm_rate": "messages a second each room's sender posts in the storm (default 20)",
    }
)
def bench(
    c, compare=False, quick=False, workers=1, processes=0, postgres="", only="", json="",
    log_dir="", storm_clients=0, storm_rate=0.0,
):  # fmt: skip
    """Measure throughput, latency, loss and memory per connection (see docs/performance.md)."""
    flags = ["--compare"] if compare else []
    flags += ["--quick"] if quick else []
    flags += [f"--only={name}" for name in only.split(",") if name]
    results = json or str(data_dir() / "bench" / "results.json")
    flags += ["--workers", str(workers), "--json", results]
    flags += ["--processes", str(processes)] if int(processes) > 0 else []
    flags += ["--postgres", postgres] if postgres else []
    flags += ["--log-dir", str(Path(log_dir).resolve())] if log_dir else []
    flags += ["--storm-clients", str(storm_clients)] if int(storm_clients) > 0 else []
    flags += ["--storm-rate", str(storm_rate)] if float(storm_rate) > 0 else []
    with c.cd(str(BACKEND)):
        c.run(f"{PYTHON} -m bench.run {' '.join(flags)}", pty=False)
