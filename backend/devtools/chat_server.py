"""Run the chat server (`python -m server`: Daphne workers) as a child process, for
`invoke dev`/`invoke serve` and the browser tests."""

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devtools.waiting import answers, stop_process, wait_until

BACKEND_DIR = Path(__file__).resolve().parent.parent


@dataclass
class ChatServer:
    host: str
    port: int
    env: dict[str, str]
    log_path: Path | None = None
    workers: int = 1
    # Keeps a terminal's Ctrl-C from reaching the server directly, so whoever started
    # it decides when and in which order things stop.
    own_process_group: bool = False
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def argv(self) -> list[str]:
        return [
            sys.executable, "-m", "server",
            "--host", self.host, "--port", str(self.port),
            "--workers", str(self.workers),
        ]  # fmt: skip

    def start(self, timeout: float = 30) -> "ChatServer":
        """Start Daphne and wait until it answers /healthz."""
        output = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        self.process = subprocess.Popen(
            self.argv(),
            cwd=BACKEND_DIR,
            env={**os.environ, **self.env},
            stdout=output,
            stderr=subprocess.STDOUT if output else None,
            stdin=subprocess.DEVNULL,
            process_group=0 if self.own_process_group else None,
        )
        if output:
            output.close()

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"Daphne exited with code {self.process.returncode}")
            return answers(self.base_url + "/healthz")

        wait_until(ready, timeout=timeout, what=f"Daphne on {self.base_url}")
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None:
            stop_process(self.process, sig, timeout=30)
        self.process = None
