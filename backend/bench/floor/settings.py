"""The floor reference: the chat as the Channels tutorial writes it (a synchronous
consumer calling ``group_send`` on channels-redis' ``RedisChannelLayer``)."""

import os

SECRET_KEY = "benchmark-reference-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
ASGI_APPLICATION = "bench.floor.asgi.application"
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": "bench-floor"},
    }
}
