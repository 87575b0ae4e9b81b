"""``redis.start``, ``redis.stop``, ``redis.status``: a background Redis for development."""

from invoke import task

from .common import as_port, data_dir, redis_url, run_devtools


def _server_args(c) -> list[str]:
    port = as_port(c.redis.port, "redis.port")
    return ["--port", str(port), "--data-dir", str(data_dir() / "redis")]


@task
def start(c):
    """Start a background Redis on 127.0.0.1:6379 (the redis.port setting), without persistence."""
    run_devtools(c, "redis_server", "start", *_server_args(c))


@task
def stop(c):
    """Stop the background Redis that `invoke redis.start` started."""
    run_devtools(c, "redis_server", "stop", *_server_args(c))


@task
def status(c):
    """Tell whether Redis answers at REDIS_URL (default 127.0.0.1:6379, the redis.port setting)."""
    url = redis_url(c) or f"redis://127.0.0.1:{as_port(c.redis.port, 'redis.port')}/0"
    run_devtools(c, "redis_server", "status", "--url", url)
