"""The installed app: the service worker, served from the site's root so its scope is
the whole site, the web app manifest and the page shown offline; the one-click
unsubscribe from missed-notification e-mail."""

import functools
from pathlib import Path

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
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


# The title bar's colour: the header's (chat.css --panel) in the light scheme; the
# pages' <meta name="theme-color"> give the dark one, which a manifest can't.
THEME_COLOR = "#ffffff"
BACKGROUND_COLOR = "#f4f5f8"  # chat.css --bg: the splash screen while the app opens
# name -> (size, purpose): drawn by devtools/app_icons.py
ICONS = {
    "icon-192.png": ("192x192", "any"),
    "icon-512.png": ("512x512", "any"),
    "icon-maskable-512.png": ("512x512", "maskable"),
}


@require_GET
def manifest(request) -> JsonResponse:
    """``/manifest.webmanifest``: what installs the site as an app opening on the rooms."""
    body = {
        "id": reverse("chat:index"),
        "name": _("Chat"),
        "short_name": _("Chat"),
        "description": _("Your team's rooms and direct messages."),
        "lang": get_language(),
        "start_url": reverse("chat:index"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {
                "src": static(f"notifications/icons/{name}"),
                "sizes": sizes,
                "type": "image/png",
                "purpose": purpose,
            }
            for name, (sizes, purpose) in ICONS.items()
        ],  # fmt: skip
    }
    return JsonResponse(body, content_type="application/manifest+json")


@require_GET
def offline(request):
    """``/offline/``: what the service worker shows for a page it has no copy of while
    the server can't be reached; its script lists the room pages it has kept. The same
    for everyone (it is kept once, when the service worker installs)."""
    return render(request, "notifications/offline.html")


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
