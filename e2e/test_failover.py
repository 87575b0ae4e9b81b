"""Redis Sentinel: the primary is killed under traffic; chat goes on through the
promoted replica with nothing lost or repeated, and /readyz shows the window."""

import asyncio
import json
import urllib.error
import urllib.request

import pytest

from devtools.chat_client import ChatClient
from devtools.redis_server import server_binary
from devtools.sentinel import SentinelGroup
from e2e.ws_client import run

CLIENTS = 4
BEFORE = 10  # messages before the primary is killed
DURING = 30  # messages posted from the kill on, one every POST_INTERVAL
POST_INTERVAL = 0.1
FAILOVER_TIMEOUT = 30


@pytest.fixture
def sentinels(work_dir, request):
    group = SentinelGroup(server_binary()[0], work_dir / f"sentinel-{request.node.name}").start()
    yield group
    group.stop()


def _readyz(base_url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base_url + "/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_chat_resumes_through_the_promoted_replica(start_server, sentinels):
    server = start_server(CHAT_RATE_LIMIT="0", **sentinels.env)
    old_primary = sentinels.primary_port()
    assert _readyz(server.base_url) == (
        200,
        {"status": "ok", "database": "ok", "migrations": "ok", "redis": "ok", "storage": "ok"},
    )

    async def watch_readyz(seen: list[str], stop: asyncio.Event) -> None:
        while not stop.is_set():
            status, body = await asyncio.to_thread(_readyz, server.base_url)
            seen.append(f"{status} {body['redis']}")
            await asyncio.sleep(0.05)

    async def scenario() -> None:
        clients = [await ChatClient.connect(server.base_url, "failover") for _ in range(CLIENTS)]
        sender = clients[0]
        for n in range(BEFORE):
            await sender.post(f"before {n}", nonce=f"b{n}")
        seen: list[str] = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch_readyz(seen, stop))
        sentinels.kill_primary()
        for n in range(DURING):
            await sender.send({"message": f"during {n}", "nonce": f"d{n}"})
            await asyncio.sleep(POST_INTERVAL)  # traffic spread over the failover window
        total = BEFORE + DURING
        for client in clients:
            await client.until(
                lambda f: f["type"] == "message" and f["seq"] == total, timeout=FAILOVER_TIMEOUT
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FAILOVER_TIMEOUT
        while seen[-1] != "200 ok" and loop.time() < deadline:
            await asyncio.sleep(0.05)
        stop.set()
        await watcher
        for client in clients:
            seqs = sorted(frame["seq"] for frame in client.messages())
            assert seqs == list(range(1, total + 1)), "lost or repeated messages"
        assert "503 failing_over" in seen, seen
        assert seen[-1] == "200 ok", seen
        for client in clients:
            await client.close()

    run(scenario())
    assert sentinels.primary_port() not in (None, old_primary)
    assert sentinels.primary_port() == sentinels.replica.port
