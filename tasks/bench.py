"""``bench``: the load generator (backend/bench/)."""

from invoke import task

from .common import BACKEND, PYTHON, data_dir


@task(
    help={
        "compare": "also run the references: the tutorial's design (floor) and a bare "
        "websockets broadcaster (ceiling)",
        "quick": "small sizes: a smoke run that checks nothing is lost",
        "workers": "the chat's worker processes (default 1)",
        "only": "comma-separated scenarios to run: burst, steady, idle (the default: all three), "
        "search (on PostgreSQL: DATABASE_URL, or the local socket's chat_bench_search database)",
        "json": "where to write the results (default: bench/results.json in the data folder)",
    }
)
def bench(c, compare=False, quick=False, workers=1, only="", json=""):
    """Measure throughput, latency, loss and memory per connection (see docs/performance.md)."""
    flags = ["--compare"] if compare else []
    flags += ["--quick"] if quick else []
    flags += [f"--only={name}" for name in only.split(",") if name]
    results = json or str(data_dir() / "bench" / "results.json")
    flags += ["--workers", str(workers), "--json", results]
    with c.cd(str(BACKEND)):
        c.run(f"{PYTHON} -m bench.run {' '.join(flags)}", pty=False)
