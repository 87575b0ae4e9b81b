"""What the task modules share: the repository's paths, the development
environment, and the way tasks run the helpers in backend/devtools/.

The helpers are never imported here: a task runs them as ``python -m
devtools.<helper>`` from backend/, where that package lives, as the chat server
itself is run. Long-lived ones (the chat with its Redis) replace the task's
process (``exec_devtools``), so a signal sent to ``invoke`` reaches the process
that owns the children.
"""

import os
import secrets
import shlex
import sys
from pathlib import Path
from typing import NoReturn

from invoke import Context, Exit, Result

REPO = Path(__file__).resolve().parent.parent
BACKEND = REPO / "backend"
PYTHON = sys.executable


def data_dir() -> Path:
    """Where local data lives: ``CHAT_DATA_DIR`` (as the settings read it), else .data/."""
    configured = os.environ.get("CHAT_DATA_DIR")
    return Path(configured).resolve() if configured else REPO / ".data"


def dev_secret_key() -> str:
    """A secret key made once for development and kept in the data folder."""
    key_file = data_dir() / "dev-secret-key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


def dev_env() -> dict[str, str]:
    """Environment for development: DEBUG on, a secret key, one data folder for everything."""
    env = {"DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1"), "CHAT_DATA_DIR": str(data_dir())}
    if not os.environ.get("DJANGO_SECRET_KEY"):
        env["DJANGO_SECRET_KEY"] = dev_secret_key()
    return env


def redis_url(c: Context) -> str:
    """The Redis given to the tasks: ``REDIS_URL``, else the ``redis.url`` setting (may be "")."""
    return os.environ.get("REDIS_URL") or c.redis.url


def as_port(value, flag: str = "--port") -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise Exit(f"{flag} takes a port number, not {value!r}.", code=2) from None
    if not 0 < port < 65536:
        raise Exit(f"{flag} takes a port number from 1 to 65535, not {port}.", code=2)
    return port


def run_devtools(c: Context, helper: str, *args: str, **run_kwargs) -> Result:
    """Run ``python -m devtools.<helper> ARGS`` from backend/ and wait for it.

    A failure exits with the helper's code; the helper has said why.
    """
    command = shlex.join([PYTHON, "-m", f"devtools.{helper}", *args])
    with c.cd(str(BACKEND)):
        result = c.run(command, warn=True, pty=False, **run_kwargs)
    if result.failed:
        raise Exit(code=result.exited)
    return result


def exec_devtools(helper: str, *args: str, env: dict[str, str]) -> NoReturn:
    """Become ``python -m devtools.<helper> ARGS``, run from backend/ with ``env`` added.

    The process keeps the task's id: SIGTERM from a process manager, a terminal's
    Ctrl-C or SIGHUP go to the helper, which stops what it started before exiting.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(BACKEND)
    os.execve(PYTHON, [PYTHON, "-m", f"devtools.{helper}", *args], {**os.environ, **env})
