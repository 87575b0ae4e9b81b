"""The service worker, served from the site's root so its scope is the whole site; the
one-click unsubscribe from missed-notification e-mail."""

import functools
from pathlib import Path

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from notifications.missed import unsubscribe_user
from people.profiles import profile_update

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


@csrf_exempt  # the link is the credential; mail clients POST it with no cookie (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """``/notifications/unsubscribe/<token>/``: a POST (one click, from the mail client
    or the page's button) turns off e-mail about missed messages; a GET asks first."""
    user = unsubscribe_user(token)
    if user is None:
        return render(request, "notifications/unsubscribed.html", {"bad": True}, status=400)
    if request.method == "POST":
        profile_update(user, {"email_notify": False})
        return render(request, "notifications/unsubscribed.html", {"done": True})
    return render(request, "notifications/unsubscribed.html", {})
