"""A person's avatar, as images in pages show it; one's own profile page."""

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from chat.access import SignInRequired, visitor_check
from chat.identity import face_of
from chat.services import ActionRefused
from chat.views import FILE_CSP
from people.avatars import (
    SIZES,
    avatar_path,
    avatar_remove,
    avatar_set,
    avatar_url,
    initials_svg,
)
from people.languages import profile_language
from people.profiles import profile_get, profile_update

# An SVG's letters may use inline presentation attributes; nothing else loads.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
CACHE = "private, max-age=300"  # a new picture shows within minutes everywhere


@require_GET
def avatar(request, username: str, size: int):
    """``/avatars/<username>/<size>/`` (size 64 or 256): their picture as WebP, or their
    initials as SVG (for any name, an account's or not). Seen by whoever may read
    public rooms (names and faces show there)."""
    try:
        visitor_check(signed_in=request.user.is_authenticated)
    except SignInRequired:
        return HttpResponse(status=401)
    if size not in SIZES:
        raise Http404(f"Avatars come in sizes {SIZES[1]} and {SIZES[0]}.")
    person = (
        get_user_model()
        .objects.select_related("profile")
        .filter(username=username, is_active=True)
        .first()
    )
    # No such account (a guest's name, say): their initials all the same, so a picture
    # never tells whether an account exists.
    profile = getattr(person, "profile", None) if person is not None else None
    if profile is not None and profile.avatar:
        response = FileResponse(
            default_storage.open(avatar_path(profile.avatar, size), "rb"),
            content_type="image/webp",
        )
        response["Content-Security-Policy"] = FILE_CSP
    else:
        svg = initials_svg(username=username, display_name=profile.display_name if profile else "")
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Content-Security-Policy"] = SVG_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = CACHE
    return response


STATUS_ENDS = {  # the status form's choices: how long a status lasts
    "": None, "30m": timedelta(minutes=30), "1h": timedelta(hours=1),
    "4h": timedelta(hours=4), "1d": timedelta(days=1), "7d": timedelta(days=7),
}  # fmt: skip
DND_FOR = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "1d": timedelta(days=1)}


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """``/profile/``: your display name, picture, time zone, about, language, status,
    Do Not Disturb and e-mail notifications (the same rules as ``/api/me/``)."""
    user, error, saved = request.user, None, False
    if request.method == "POST":
        try:
            _profile_post(request)
            saved = True
        except ActionRefused as exc:
            error = exc.detail
        # The page in the language just chosen (the middleware took the one before).
        language = profile_language(user) or translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
    current = profile_get(user)
    context = {
        "profile": current,
        "face": face_of(user).public(),
        "error": error,
        "saved": saved,
        "avatar_url": avatar_url(user, current),
        "time_zones": sorted(zoneinfo.available_timezones()),
        "status_ends": [
            ("", _("Never")),
            ("30m", _("30 minutes")),
            ("1h", _("1 hour")),
            ("4h", _("4 hours")),
            ("1d", _("Today")),
            ("7d", _("This week")),
        ],  # fmt: skip
        "languages": settings.LANGUAGES,
    }
    return render(request, "people/profile.html", context, status=400 if error else 200)


def _profile_post(request) -> None:
    form, user, now = request.POST, request.user, timezone.now()
    action = form.get("action", "profile")
    if action == "avatar":
        upload = request.FILES.get("file")
        if upload is None:
            raise ActionRefused("missing_file", _("Choose a picture first."))
        avatar_set(user, upload.read())
    elif action == "avatar_remove":
        avatar_remove(user)
    elif action == "status":
        ends = STATUS_ENDS.get(form.get("ends", ""))
        status = {"emoji": form.get("emoji", "").strip(), "text": form.get("text", "")}
        if ends is not None:
            status["expires_at"] = (now + ends).isoformat()
        profile_update(user, {"status": status if status["emoji"] or status["text"] else None})
    elif action == "dnd":
        length = DND_FOR.get(form.get("for", ""))
        profile_update(user, {"dnd_until": (now + length).isoformat() if length else None})
    else:
        profile_update(user, {
            "display_name": form.get("display_name", ""),
            "time_zone": form.get("time_zone", ""),
            "about": form.get("about", "").replace("\r\n", "\n"),
            "email_notify": form.get("email_notify") == "on",
            "language": form.get("language", ""),
        })  # fmt: skip
