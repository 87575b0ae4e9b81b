"""Running the chat: ``dev``, ``serve``, ``migrate``, ``manage``."""

import os
import sys

from invoke import Context, Exit, task

from .common import (
    BACKEND,
    PYTHON,
    as_port,
    data_dir,
    dev_env,
    dev_secret_key,
    exec_devtools,
    redis_url,
)

LISTEN_HELP = {
    "host": "address to listen on (default: the chat.host setting, 127.0.0.1)",
    "port": "port to listen on (default: the chat.port setting, 8000)",
}


def _run_chat(c: Context, host, port, *, env: dict[str, str], workers: int, extra=()):
    """Become devtools.run_chat: Redis found or started, migrations, the chat until a
    stop signal, then everything stopped in order (see that module)."""
    args = [
        "--host", host or c.chat.host,
        "--port", str(as_port(port or c.chat.port)),
        "--workers", str(workers),
        "--redis-port", str(as_port(c.redis.port, "redis.port")),
        "--redis-dir", str(data_dir() / "redis"),
    ]  # fmt: skip
    if redis_url(c):
        args += ["--redis-url", redis_url(c)]
    args += extra
    exec_devtools("run_chat", *args, env=env)


@task(help=LISTEN_HELP)
def dev(c, host=None, port=None):
    """Run the chat at http://HOST:PORT/chat/ with Redis and migrations taken care of."""
    _run_chat(c, host, port, env=dev_env(), workers=1)


@task(
    help={
        **LISTEN_HELP,
        "workers": "Daphne processes sharing the port (default: the chat.workers setting; "
        "0, its default, means one per CPU core)",
    }
)
def serve(c, host=None, port=None, workers=None):
    """Run in production mode: DEBUG off, static files collected, N workers on one port."""
    env = {"DJANGO_DEBUG": "0", "CHAT_DATA_DIR": str(data_dir())}
    if not os.environ.get("DJANGO_SECRET_KEY"):
        print("DJANGO_SECRET_KEY is not set: using the development key in the data folder.")
        env["DJANGO_SECRET_KEY"] = dev_secret_key()
    try:
        count = int(workers if workers is not None else c.chat.workers)
    except ValueError:
        raise Exit(f"--workers takes a number, not {workers!r}.", code=2) from None
    count = count if count > 0 else os.cpu_count() or 1
    # Emptied by run_chat once it knows the port is free (a running server may be using it).
    extra = ["--collectstatic", "--metrics-dir", str(data_dir() / "metrics")]
    _run_chat(c, host, port, env=env, workers=count, extra=extra)


@task
def migrate(c):
    """Apply database migrations (DATABASE_URL, or SQLite in the data folder)."""
    with c.cd(str(BACKEND)):
        c.run(f"{PYTHON} manage.py migrate --no-input", env=dev_env(), pty=False)


@task(help={"args": 'arguments for manage.py, e.g. "createsuperuser"'})
def manage(c, args):
    """Run a Django management command (createsuperuser, makemigrations, shell…).

    manage.py runs in backend/; the chat's own commands (export_chat, restore_chat)
    read relative paths from the folder invoke was run from (``CHAT_WORKING_DIR``).
    """
    env = {**dev_env(), "CHAT_WORKING_DIR": os.getcwd()}
    with c.cd(str(BACKEND)):
        c.run(f"{PYTHON} manage.py {args}", env=env, pty=sys.stdin.isatty())
