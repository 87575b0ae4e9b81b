"""``POST /api/rooms/<name>/attachments/``: upload a file to send with a message."""

import re

from django.db import DatabaseError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ninja import Schema, Status

from api.auth import any_session
from api.errors import ApiError, ErrorOut
from api.rooms import REFUSALS, room_to_post_in, router
from chat.identity import identity_of
from chat.protocol.events import attachment_json
from chat.services.attachments import attachment_store, upload_limit_bytes, upload_refusal
from server.http import BodyLimit

# What a multipart body adds around the file itself, at most, before it is refused
# unread as too large.
MULTIPART_OVERHEAD = 64 * 1024
# An endpoint taking one file, as the multipart field "file" (its OpenAPI description).
FILE_UPLOAD = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        }
    }
}
# The upload's path, as the server's HTTP protocol matches it to give it a larger limit.
UPLOAD_PATH = re.compile(rb"/api/rooms/[^/]+/attachments/")


def upload_body_limit() -> tuple[re.Pattern[bytes], BodyLimit]:
    """The upload's path and the most its body may have (a file, and a form around it)."""
    return UPLOAD_PATH, BodyLimit(
        upload_limit_bytes() + MULTIPART_OVERHEAD, "file_too_large", _too_large()
    )


class AttachmentOut(Schema):
    id: int
    url: str
    name: str
    size: int
    content_type: str
    thumbnail_url: str | None


@router.post(
    "/{name}/attachments/",
    response={201: AttachmentOut, **REFUSALS, 413: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    auth=any_session,
    openapi_extra=FILE_UPLOAD,
)
def attachment_upload(request, name: str):
    """Upload one file (multipart field ``file``) to a room the requester may post in;
    send it by naming its ``id`` in a message's ``attachments``."""
    limit = upload_limit_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + MULTIPART_OVERHEAD:  # refused before any of it is read
        raise ApiError(413, "file_too_large", _too_large())
    identity = identity_of(request.user, request.session, create=False)
    if identity is None:
        raise ApiError(401, "sign_in_required", _("Open the room (as a guest or signed in) first."))
    room = room_to_post_in(request, name)
    upload = request.FILES.get("file")
    if upload is None:
        raise ApiError(400, "missing_file", _("Send the file as the multipart field “file”."))
    if upload.size > limit:
        raise ApiError(413, "file_too_large", _too_large())
    try:
        refusal = upload_refusal(identity, request.META.get("REMOTE_ADDR"), upload.size)
        if refusal is not None:
            raise refusal
        attachment = attachment_store(
            room=room, identity=identity, name=upload.name, data=upload.read()
        )
    except DatabaseError:
        raise ApiError(503, "unavailable", _("The file could not be stored; try again.")) from None
    return Status(201, attachment_json(attachment))


def _too_large():
    """Lazy: the upload limit's refusal is made once, at start-up (upload_body_limit), and
    written in each refused request's language."""
    return format_lazy(_("A file may be at most {size} MiB."), size=upload_limit_bytes() // 2**20)
