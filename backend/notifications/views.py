"""The service worker, served from the site's root so its scope is the whole site."""

import functools
from pathlib import Path

from django.http import HttpResponse
from django.views.decorators.http import require_GET

SERVICE_WORKER = Path(__file__).resolve().parent / "static" / "notifications" / "sw.js"


@functools.cache
def _service_worker_bytes() -> bytes:
    return SERVICE_WORKER.read_bytes()


@require_GET
def service_worker(request) -> HttpResponse:
    """``/sw.js``: shows pushes as notifications; always revalidated, so updates reach browsers."""
    response = HttpResponse(
        _service_worker_bytes(), content_type="application/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    return response
