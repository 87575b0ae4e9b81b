"""Health checks and metrics for load balancers and Prometheus."""

import logging
import os
import time

from asgiref.sync import sync_to_async
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from chat.redis_client import failing_over, redis_client
from chat.services.messages import storage_failing
from observability.access import refusal
from observability.metrics import REDIS_ROUNDTRIP

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """The process is alive and serving requests."""
    return JsonResponse({"status": "ok"})


def _database_roundtrip() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


class Migrations:
    """Whether the database has every migration this code has (``python -m server``
    doesn't migrate: a database never migrated would answer ``SELECT 1`` while every
    page fails). Once it has, that is remembered: migrations aren't taken back under a
    running server."""

    def __init__(self) -> None:
        self.applied = False

    def pending(self) -> bool:
        if not self.applied:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            self.applied = not plan
        return not self.applied


migrations = Migrations()


@require_GET
async def readyz(request):
    """The database and Redis both answer, the database has every migration, and
    messages can be stored: 200, or 503 naming the part that doesn't (``migrations``:
    ``"pending"`` until ``manage.py migrate`` has run; ``storage``: storing a message
    failed in the last minute, say on a full disk). With Redis Sentinel, ``"redis": "failing_over"``
    marks the window between the primary's loss and the promoted replica's first
    answer: the sentinels answer, the primary doesn't.

    Why a part is unavailable (which often names hosts and ports) goes to the log,
    not to the response.
    """
    if (refused := refusal(request)) is not None:
        return refused
    checks: dict[str, str] = {}
    try:
        await sync_to_async(_database_roundtrip)()
        checks["database"] = "ok"
        pending = await sync_to_async(migrations.pending)()
        checks["migrations"] = "pending" if pending else "ok"
    except Exception as exc:
        logger.warning("readyz: the database is unavailable: %s", exc)
        checks["database"] = "unavailable"
    try:
        started = time.perf_counter()
        await redis_client().ping()
        REDIS_ROUNDTRIP.set(time.perf_counter() - started)
        checks["redis"] = "ok"
    except Exception as exc:
        logger.warning("readyz: Redis is unavailable: %s", exc)
        checks["redis"] = "failing_over" if await failing_over() else "unavailable"
    checks["storage"] = "unavailable" if storage_failing() else "ok"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )


@require_GET
def metrics(request):
    """Prometheus text format, summed over worker processes when there are several."""
    if (refused := refusal(request)) is not None:
        return refused
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
