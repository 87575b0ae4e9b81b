"""Who is online, against running servers: many joining at once over several workers,
Redis restarting under them, and a worker killed outright."""

import asyncio
import json
import os
import re
import signal
import time
import urllib.request

import pytest
from playwright.sync_api import Browser, expect

from devtools.chat_client import ChatClient
from devtools.processes import alive, descendants
from devtools.redis_server import RedisServer, server_binary
from devtools.waiting import free_port
from e2e.pages import RoomPage
from e2e.ws_client import BackgroundLoop

JOINERS = 8
CONVERGED_MS = 3000  # "within a couple of seconds", with some room for a loaded machine


class Clients:
    """WebSocket clients on an event loop of their own thread, kept open while the
    browser (on the main thread) is checked."""

    def __init__(self) -> None:
        self.background = BackgroundLoop()
        self.run = self.background.run
        self.open: list[ChatClient] = []

    def connect(self, base_url: str, room: str, count: int) -> list[str]:
        """``count`` guests, each with a session of their own, connecting at the same
        moment; returns their names."""

        async def connect_all() -> list[ChatClient]:
            return await asyncio.gather(*(ChatClient.connect(base_url, room) for _ in range(count)))

        clients = self.run(connect_all())
        self.open += clients
        return [identity_name(client) for client in clients]

    def close(self) -> None:
        async def close_all() -> None:
            for client in self.open:
                await client.close()

        self.run(close_all())
        self.background.stop()


def identity_name(client: ChatClient) -> str:
    return next(frame["user"] for frame in client.frames if frame["type"] == "identity")


@pytest.fixture
def clients():
    made = Clients()
    yield made
    made.close()


def expect_listed(room: RoomPage, names: list[str], timeout: float = CONVERGED_MS) -> None:
    expect(room.presence_count).to_have_text(str(len(names)), timeout=timeout)
    listed = sorted(room.presence.all_inner_texts())
    for name in names:
        assert any(name in entry for entry in listed), f"{name} missing from {listed}"


def open_room(browser: Browser, base_url: str, room: str) -> tuple[RoomPage, str]:
    page = browser.new_context(base_url=base_url).new_page()
    room_page = RoomPage(page).open(room)
    # The page says "a guest" until its first identity frame names the new guest.
    expect(room_page.identity_name).not_to_have_text(re.compile(r"^(a guest)?$"))
    return room_page, room_page.identity_name.inner_text()


def test_a_page_lists_everyone_who_joins_at_once_across_workers(
    browser: Browser, start_server, clients
):
    server = start_server(workers=2)
    for trial in range(4):
        room, me = open_room(browser, server.base_url, f"burst-{trial}")
        joiners = clients.connect(server.base_url, f"burst-{trial}", JOINERS)
        expect_listed(room, [me, *joiners])
        room.page.context.close()


@pytest.fixture
def own_redis(work_dir):
    """A Redis for this test alone, so it can be restarted (empty) under a server."""
    server = RedisServer(server_binary()[0], free_port(), work_dir / f"redis-{free_port()}")
    yield server.start()
    server.stop()


def test_lists_converge_after_redis_restarts(browser: Browser, start_server, clients, own_redis):
    server = start_server(workers=2, REDIS_URL=own_redis.url)
    room, me = open_room(browser, server.base_url, "restart")
    before = clients.connect(server.base_url, "restart", 4)
    expect_listed(room, [me, *before])
    own_redis.stop()
    own_redis.start()  # empty: presence has to be registered again
    expect_listed(room, [me, *before], timeout=5000)
    after = clients.connect(server.base_url, "restart", 3)
    # A server notices a restart within a second (its watch asks Redis every second).
    expect_listed(room, [me, *before, *after], timeout=CONVERGED_MS + 1000)


def online(base_url: str, room: str) -> int | None:
    """The room's online count on ``/api/rooms/`` (None while the server doesn't answer)."""
    try:
        with urllib.request.urlopen(f"{base_url}/api/rooms/", timeout=5) as answer:
            rooms = json.load(answer)["rooms"]
    except OSError:
        return None
    return next((entry["online"] for entry in rooms if entry["name"] == room), 0)


def wait_until(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up after {timeout:g} s waiting for {what}"
        time.sleep(0.1)


def test_people_of_a_killed_worker_stop_counting_within_the_ttl(start_server, clients):
    ttl = 3
    server = start_server(workers=1, CHAT_PRESENCE_TTL=str(ttl))
    clients.connect(server.base_url, "killed", 3)
    clients.run(clients.open[0].post("so the room is listed"))
    wait_until(lambda: online(server.base_url, "killed") == 3, timeout=5, what="3 online")
    workers = descendants(server.process.pid)
    assert workers, "no worker to kill"
    for pid in workers:
        os.kill(pid, signal.SIGKILL)  # no leave, no cleanup
    wait_until(lambda: online(server.base_url, "killed") == 0, timeout=ttl + 3, what="no ghosts")
    assert not any(alive(pid) for pid in workers)
