"""`python -m invoke <task>` as a child process, the way a shell job runs it."""

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devtools.processes import alive, descendants
from devtools.waiting import answers, wait_until

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 90  # fresh SQLite migrations, collectstatic for serve, a slow shared machine
STOP_TIMEOUT = 45
GONE_TIMEOUT = 5
# The end of what `invoke dev` and `invoke serve` print once the chat serves.
READY_LINE = "(Ctrl-C stops it)"
# Variables of the caller's shell that would point a run at their own services.
FOREIGN_PREFIXES = ("REDIS_URL", "DATABASE_URL", "DJANGO_", "CHAT_", "INVOKE_", "PROMETHEUS_")


@dataclass
class TaskRun:
    """`python -m invoke <task> --port PORT`, in its own process group as a shell job is."""

    process: subprocess.Popen
    port: int
    redis_port: int | None
    output_path: Path
    started: set[int] = field(default_factory=set)

    @property
    def output(self) -> str:
        return self.output_path.read_text(errors="replace")

    def wait_serving(self) -> set[int]:
        """Wait until the chat answers; return the processes invoke started."""

        def serving() -> bool:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise AssertionError(f"invoke exited with {code}:\n{self.output}")
            return READY_LINE in self.output and answers(f"http://127.0.0.1:{self.port}/healthz")

        wait_until(serving, timeout=START_TIMEOUT, what=f"the chat on port {self.port}")
        self.started = descendants(self.process.pid)
        return self.started

    def wait_exit(self) -> int:
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"invoke still running:\n{self.output}") from None

    def kill_everything(self) -> None:
        """Whatever is still running (say, orphans of a failed stop) is killed."""
        pids = self.started | descendants(self.process.pid) | {self.process.pid}
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()


def start_task(
    *task: str, port: int, output_path: Path, env: dict[str, str], redis_port: int | None = None
) -> TaskRun:
    """Start ``invoke <task> --port PORT`` with ``env`` over a clean environment (none of
    the caller's own Redis, database or chat settings)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    clean.update(env, PYTHONUNBUFFERED="1")
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "invoke", *task, "--port", str(port)],
            cwd=REPO,
            env=clean,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return TaskRun(process, port, redis_port, output_path)
