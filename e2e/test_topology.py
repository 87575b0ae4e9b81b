"""More than one machine: nginx (with docker/nginx/chat.conf) in front of two
separately started `invoke serve` instances sharing PostgreSQL and Redis.

Browsers and WebSocket clients go through nginx; one instance is restarted
mid-conversation and nothing is lost or repeated.
"""

import os
import secrets
import signal
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import websockets
from playwright.sync_api import Browser

from devtools.chat_client import ChatClient
from devtools.nginx import Nginx, nginx_binary
from devtools.waiting import free_port
from e2e.invoke_runs import start_task
from e2e.pages import RoomPage
from e2e.ws_client import BackgroundLoop

ROOM = "two-machines"
WATCHERS = 4  # WebSocket clients through nginx: round robin puts some on each instance

pytestmark = [
    pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (apt-get install nginx)"),
    pytest.mark.skipif(
        not os.environ.get("TEST_POSTGRES_URL"), reason="needs PostgreSQL (TEST_POSTGRES_URL)"
    ),
]


@pytest.fixture
def database_url():
    """A new, empty PostgreSQL database for the two instances."""
    url = os.environ["TEST_POSTGRES_URL"]
    name = f"chat_topology_{secrets.token_hex(4)}"
    with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def topology(tmp_path, database_url, redis_server):
    """Two instances ("machines") on their own ports and data folders, and nginx."""
    shared = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "CHAT_TRUST_PROXY_HEADERS": "1",
        "CHAT_RATE_LIMIT": "0",
        # The browsers below are visitors: guests in a public room.
        "CHAT_GUESTS": "on",
    }
    runs = {}

    def serve(name: str, port: int):
        env = {**shared, "CHAT_DATA_DIR": str(tmp_path / name)}
        output = tmp_path / f"{name}-{len(runs)}.txt"
        runs[name] = start_task("serve", "--workers", "1", port=port, output_path=output, env=env)
        runs[name].wait_serving()
        return runs[name]

    ports = {"a": free_port(), "b": free_port()}
    serve("a", ports["a"])  # first alone: it applies the migrations
    serve("b", ports["b"])
    proxy = Nginx(
        nginx_binary(), free_port(), [f"127.0.0.1:{port}" for port in ports.values()],
        work_dir=tmp_path / "nginx",
    ).start()  # fmt: skip
    yield proxy, serve, runs, ports
    proxy.stop()
    for task_run in runs.values():
        task_run.kill_everything()


async def _watchers(base_url: str) -> list[ChatClient]:
    return [await ChatClient.connect(base_url, ROOM) for _ in range(WATCHERS)]


async def _closed_or_open(client: ChatClient) -> bool:
    """Whether the server closed this client (with 1012, to reconnect)."""
    try:
        await client.until(lambda frame: False, timeout=0.5)
    except TimeoutError:
        return False
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd.code == 1012
        return True
    raise AssertionError("unreachable")


def test_a_restarted_instance_behind_nginx_loses_and_repeats_nothing(browser: Browser, topology):
    proxy, serve, runs, ports = topology
    contexts = [browser.new_context(base_url=proxy.base_url) for _ in range(2)]
    first, second = (RoomPage(context.new_page()).open(ROOM) for context in contexts)
    background = BackgroundLoop()
    try:
        watchers = background.run(_watchers(proxy.base_url))
        first.send("one")
        first.expect_delivered("one")
        second.send("two")
        for page in (first, second):
            page.expect_delivered("one", "two")

        # Instance a is told to stop: its sockets close with 1012 and nginx sends
        # every new connection to b until a is back.
        os.kill(runs["a"].process.pid, signal.SIGTERM)
        second.send("three")
        first.send("four")
        assert runs["a"].wait_exit() == 0, runs["a"].output
        closed = [background.run(_closed_or_open(watcher)) for watcher in watchers]
        assert any(closed) and not all(closed), "the watchers were on both instances"
        serve("a", ports["a"])
        second.send("five")

        # The order of "three" and "four" is the server's; a fresh client reads it.
        expected = ["one", "two", "three", "four", "five"]
        fresh = background.run(ChatClient.connect(proxy.base_url, ROOM))
        stored = fresh.messages()
        for _ in range(50):  # "five" may still be on its way when the history was read
            if len(stored) == len(expected):
                break
            stored.append(background.run(fresh.until(lambda f: f["type"] == "message")))
        assert [frame["seq"] for frame in stored] == [1, 2, 3, 4, 5]
        order = [frame["message"] for frame in stored]
        assert sorted(order) == sorted(expected)
        for page in (first, second):
            page.expect_delivered(*order)
        for client in [fresh, *watchers]:
            background.run(client.close())
    finally:
        background.stop()
        for context in contexts:
            context.close()
