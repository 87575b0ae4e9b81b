"""The server raises its open-file limit at start-up, and says so when it can't."""

import resource
import subprocess
import sys

from devtools.chat_server import BACKEND_DIR

REPORT = (
    "import logging, resource; logging.basicConfig(level=logging.INFO, format='%(message)s'); "
    "from server.limits import raise_open_file_limit; raise_open_file_limit(); "
    "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
)


def _start_with(soft: int, hard: int) -> tuple[int, str]:
    """A process started with these limits: its soft limit after the call, and its log."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    done = subprocess.run(
        [sys.executable, "-c", REPORT], cwd=BACKEND_DIR, preexec_fn=limit,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return int(done.stdout.strip()), done.stderr


def test_the_soft_limit_is_raised_to_the_hard_limit():
    soft, log = _start_with(256, 8192)
    assert soft == 8192
    assert "raised the open-file limit from 256 to 8192" in log
    assert "LimitNOFILE" not in log


def test_a_low_hard_limit_is_reported_with_how_to_raise_it():
    soft, log = _start_with(512, 512)
    assert soft == 512
    assert "the open-file limit is 512, the most allowed" in log
    assert "about 412 connections" in log
    assert "LimitNOFILE" in log
