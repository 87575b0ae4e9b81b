"""`invoke dev` and `invoke serve` as a process manager and a terminal see them.

A stop signal to invoke (SIGTERM from a process manager, SIGHUP, a terminal's
Ctrl-C) stops everything it started, the chat server before its Redis, with one
line for each part; problems at start-up are told in one line, without a
traceback. Each run gets free ports and a data folder of its own, so nothing
here touches a developer's 6379 or .data/.
"""

import json
import os
import re
import signal
import socket
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from devtools.processes import alive
from devtools.waiting import free_port, port_free, wait_until
from e2e.invoke_runs import GONE_TIMEOUT, READY_LINE, STOP_TIMEOUT, TaskRun, start_task

# A log record of the chat server at INFO level, in its plain format (with or without time).
INFO_RECORD = re.compile(r"^(?:[\d-]+ [\d:,.]+ )?INFO [\w.]+ ")

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc"
)


@pytest.fixture
def run_task(tmp_path):
    runs: list[TaskRun] = []

    def run(*task: str, port: int | None = None, redis_port: int | None = None) -> TaskRun:
        number = len(runs)
        data = tmp_path / f"data-{number}"
        # A snapshot this Redis can't read, as another server binary or version leaves
        # one: the development Redis must start anyway.
        (data / "redis").mkdir(parents=True)
        (data / "redis" / "dump.rdb").write_bytes(b"REDIS0012 written by another server")
        port = port or free_port()
        redis_port = redis_port or free_port()
        env = {"CHAT_DATA_DIR": str(data), "INVOKE_REDIS_PORT": str(redis_port)}
        output_path = tmp_path / f"output-{number}.txt"
        runs.append(
            start_task(*task, port=port, output_path=output_path, env=env, redis_port=redis_port)
        )
        return runs[-1]

    yield run
    for task_run in runs:
        task_run.kill_everything()


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("task", "signum"),
    [
        (("dev",), signal.SIGTERM),
        (("dev",), signal.SIGHUP),
        (("serve", "--workers", "2"), signal.SIGTERM),
    ],
    ids=["dev-SIGTERM", "dev-SIGHUP", "serve-SIGTERM"],
)
def test_a_stop_signal_to_invoke_stops_everything_it_started(run_task, task, signum):
    run = run_task(*task)
    started = run.wait_serving()
    assert len(started) >= 3, "Redis, the supervisor and a worker"

    os.kill(run.process.pid, signum)  # invoke's own pid, as a process manager does

    assert run.wait_exit() == 0, run.output
    wait_until(
        lambda: not any(alive(pid) for pid in started), timeout=GONE_TIMEOUT, what="no orphans"
    )
    assert port_free("127.0.0.1", run.port)
    assert port_free("127.0.0.1", run.redis_port)
    assert "Traceback" not in run.output


def test_ctrl_c_stops_the_chat_then_redis_with_one_line_each(run_task):
    run = run_task("dev")
    run.wait_serving()
    origin = f"http://127.0.0.1:{run.port}"
    # An open page: its worker uses Redis (room group, presence) until the socket closes.
    with connect(f"ws://127.0.0.1:{run.port}/ws/chat/lifecycle/", origin=origin) as page:
        while json.loads(page.recv(timeout=10))["type"] != "ready":
            pass
        page.send(json.dumps({"message": "still here"}))

        os.killpg(run.process.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole job gets it

        with pytest.raises(ConnectionClosed) as closed:
            while True:
                page.recv(timeout=STOP_TIMEOUT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012  # told to reconnect

    assert run.wait_exit() == 0, run.output
    assert "Traceback" not in run.output
    after = _lines(run.output.split(READY_LINE, 1)[1])
    # Besides the chat server's own records at INFO level (no warning, no error),
    # the task says one thing per part, in the order they stop.
    assert [line for line in after if not INFO_RECORD.match(line)] == [
        "Stopped the chat server (open pages were told to reconnect).",
        f"Stopped Redis (port {run.redis_port}).",
    ]


def test_dev_on_a_busy_port_says_so_in_one_line_and_starts_nothing(run_task):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = run_task("dev", port=port)
        code = run.wait_exit()

    assert code != 0
    [line] = _lines(run.output)
    assert str(port) in line
    assert "--port" in line
    assert port_free("127.0.0.1", run.redis_port)


def test_a_dev_redis_that_cannot_start_is_told_in_one_line(run_task):
    with socket.socket() as not_redis:  # holds the port, never answers PING
        not_redis.bind(("127.0.0.1", 0))
        not_redis.listen()
        run = run_task("dev", redis_port=not_redis.getsockname()[1])
        code = run.wait_exit()

    assert code != 0
    assert "Traceback" not in run.output
    assert _lines(run.output)[-1].startswith("Redis did not start:")
    assert port_free("127.0.0.1", run.port)
