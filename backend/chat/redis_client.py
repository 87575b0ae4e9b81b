"""One asyncio Redis client per event loop, for the chat's own keys (presence)."""

import redis.asyncio as aioredis
from django.conf import settings

from chat.loops import per_event_loop


@per_event_loop
def _clients() -> dict[str, aioredis.Redis]:
    return {}


def redis_client() -> aioredis.Redis:
    """The client for ``settings.REDIS_URL`` on the running event loop."""
    per_url = _clients()
    url = settings.REDIS_URL
    if url not in per_url:
        per_url[url] = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return per_url[url]
