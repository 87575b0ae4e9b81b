"""The chat's own Redis clients (presence, the outage watch, health checks).

Redis is one address (``REDIS_URL``) or a primary found through Redis Sentinel
(``REDIS_SENTINELS``); ``connect()`` hides which. A Sentinel client asks the
sentinels for the primary on every new connection, so after a failover it
follows the promoted replica by itself.
"""

import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.sentinel import Sentinel

from chat.process import process

SENTINEL_TIMEOUT = 1.0
# Connections one event loop may open to Redis at once (redis-py's default is 100, and
# past it a call fails instead of waiting): thousands of sockets joining at once need more.
POOL_SIZE = 1000


def _where() -> tuple:
    return (settings.REDIS_URL, tuple(settings.REDIS_SENTINELS), settings.REDIS_SENTINEL_MASTER)


def _clients() -> dict[tuple, object]:
    return process().redis_clients


def _sentinel() -> Sentinel:
    key = ("sentinel", *_where())
    per_loop = _clients()
    if key not in per_loop:
        timeouts = {"socket_timeout": SENTINEL_TIMEOUT, "socket_connect_timeout": SENTINEL_TIMEOUT}
        per_loop[key] = Sentinel(settings.REDIS_SENTINELS, sentinel_kwargs=timeouts)
    return per_loop[key]


def connect(**options) -> aioredis.Redis:
    """A new client for the chat's Redis; ``options`` as for ``redis.asyncio.Redis``."""
    if settings.REDIS_SENTINELS:
        return _sentinel().master_for(
            settings.REDIS_SENTINEL_MASTER, db=settings.REDIS_SENTINEL_DB, **options
        )
    return aioredis.Redis.from_url(settings.REDIS_URL, **options)


def redis_client() -> aioredis.Redis:
    """The shared client of the running event loop."""
    per_loop = _clients()
    key = ("client", *_where())
    if key not in per_loop:
        per_loop[key] = connect(
            socket_timeout=2, socket_connect_timeout=2, max_connections=POOL_SIZE
        )
    return per_loop[key]


async def failing_over() -> bool:
    """With Sentinel: whether a sentinel answers while the primary doesn't, that is,
    the sentinels are choosing (or about to choose) a new primary."""
    if not settings.REDIS_SENTINELS:
        return False
    for sentinel in _sentinel().sentinels:
        try:
            if await sentinel.ping():
                return True
        except (aioredis.RedisError, OSError):
            continue
    return False
