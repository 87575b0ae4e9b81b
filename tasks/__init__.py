"""Tasks for developing, testing and running the chat server (`invoke --list`).

One module per namespace; the defaults below can be changed in an ``invoke.yaml``
next to this folder, in ``~/.invoke.yaml``, or with ``INVOKE_*`` environment
variables (``INVOKE_CHAT_PORT=9000``, ``INVOKE_REDIS_PORT=6380``...).
"""

from invoke import Collection

from . import bench, deps, i18n, push, quality, redis, serving, test

ns = Collection(
    serving.dev, serving.serve, serving.migrate, serving.manage,
    quality.lint, quality.format_code, bench.bench,
)  # fmt: skip
ns.add_collection(Collection("redis", redis.start, redis.stop, redis.status))
ns.add_collection(
    Collection("test", test.everything, test.backend, test.e2e, test.js, test.bench_smoke)
)
ns.add_collection(Collection("deps", deps.compile_requirements, deps.install))
ns.add_collection(Collection("i18n", i18n.check, i18n.update))
ns.add_collection(Collection("docs", test.screenshots))
ns.add_collection(Collection("push", push.keys))
ns.configure(
    {
        "chat": {
            # Where `invoke dev` and `invoke serve` listen (--host and --port override).
            "host": "127.0.0.1",
            "port": 8000,
            # Daphne processes of `invoke serve`; 0 means one per CPU core.
            "workers": 0,
        },
        "redis": {
            # A Redis to use instead of finding or starting one (REDIS_URL wins over it).
            "url": "",
            # The port of the Redis that `invoke dev` and `invoke redis.start` look for or start.
            "port": 6379,
        },
    }
)
