"""``/api/me/``: one's own profile, status, Do Not Disturb and avatar (docs/api.md)."""

import re
from datetime import datetime

from django.db import DatabaseError
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ninja import Body, Router, Schema, Status

from api.attachments import FILE_UPLOAD, MULTIPART_OVERHEAD
from api.auth import signed_in
from api.errors import ApiError, ErrorOut
from chat.identity import face_of
from people.avatars import AVATAR_MAX_BYTES, avatar_remove, avatar_set, avatar_url
from people.profiles import profile_get, profile_update
from server.http import BodyLimit

router = Router(tags=["Profile"])
REFUSALS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
AVATAR_PATH = re.compile(rb"/api/me/avatar/")
TOO_LARGE = format_lazy(_("An avatar can be at most {size} MB."), size=AVATAR_MAX_BYTES // 2**20)


def avatar_body_limit() -> tuple[re.Pattern[bytes], BodyLimit]:
    """The avatar upload's path and the most its body may have."""
    return AVATAR_PATH, BodyLimit(
        AVATAR_MAX_BYTES + MULTIPART_OVERHEAD, "file_too_large", TOO_LARGE
    )


class StatusOut(Schema):
    emoji: str
    text: str
    expires_at: datetime | None


class ProfileOut(Schema):
    username: str
    display_name: str
    avatar_url: str  # the picture, or the initials drawn on the server
    has_avatar: bool
    time_zone: str
    about: str
    status: StatusOut | None
    dnd_until: datetime | None


class MeOut(ProfileOut):
    email: str
    email_notify: bool
    language: str  # of pages, e-mail and error details; "" for the browser's


class AvatarOut(Schema):
    avatar_url: str


def profile_out(user, *, now=None) -> dict:
    """A person's profile as the API shows it; an ended status or DND is left out."""
    profile = profile_get(user)
    shown = face_of(user).public(now)
    return {
        "username": user.username,
        "display_name": profile.display_name,
        "avatar_url": avatar_url(user, profile),
        "has_avatar": bool(profile.avatar),
        "time_zone": profile.time_zone,
        "about": profile.about,
        "status": shown.get("status"),
        "dnd_until": shown.get("dnd_until"),
    }


def _me_out(user) -> dict:
    return {
        **profile_out(user),
        "email": user.email,
        "email_notify": profile_get(user).email_notify,
        "language": profile_get(user).language,
    }


@router.get("/", response={200: MeOut, **REFUSALS}, auth=signed_in)
def me_get(request):
    """Your profile."""
    return _me_out(request.user)


@router.patch("/", response={200: MeOut, **REFUSALS}, auth=signed_in)
def me_update(request, body: dict = Body(...)):  # noqa: B008 - ninja's way
    """Change any of ``display_name``, ``time_zone`` (IANA name), ``about``, ``status``
    (``{"emoji", "text", "expires_at"}`` or null), ``dnd_until`` (or null) and
    ``email_notify`` and ``language`` (one of settings.LANGUAGES, or "" for the browser's);
    all or none are taken."""
    profile_update(request.user, body)
    return _me_out(request.user)


@router.put(
    "/avatar/",
    response={200: AvatarOut, **REFUSALS, 413: ErrorOut, 503: ErrorOut},
    auth=signed_in,
    openapi_extra=FILE_UPLOAD,
)
def me_avatar_set(request):
    """Upload your picture (multipart ``file``: PNG, JPEG, WebP or GIF, at most 5 MB);
    it is stored again as square WebP at 256 and 64 pixels, without metadata."""
    upload = _multipart_file(request)
    if upload is None:
        raise ApiError(400, "missing_file", _("Send the picture as the multipart field “file”."))
    if upload.size > AVATAR_MAX_BYTES:
        raise ApiError(413, "file_too_large", TOO_LARGE)
    try:
        avatar_set(request.user, upload.read())
    except DatabaseError:
        raise ApiError(
            503, "unavailable", _("The picture could not be stored; try again.")
        ) from None
    return {"avatar_url": avatar_url(request.user, profile_get(request.user))}


@router.delete("/avatar/", response={204: None, **REFUSALS}, auth=signed_in)
def me_avatar_remove(request):
    """Remove your picture: your initials show instead."""
    avatar_remove(request.user)
    return Status(204, None)


def _multipart_file(request):
    """The ``file`` of a multipart body (Django parses bodies only of POSTs itself)."""
    if not request.content_type.startswith("multipart/"):
        return None
    try:
        _, files = MultiPartParser(
            request.META, request, request.upload_handlers, request.encoding
        ).parse()
    except MultiPartParserError as exc:
        raise ApiError(
            400,
            "invalid_multipart",
            _("The multipart body can't be read: {problem}").format(problem=exc),
        ) from None
    return files.get("file")
