"""Refusals of the API: the WebSocket's error shape, ``{"type": "error", "code", "detail"}``."""

from typing import Literal

from ninja import Schema


class ApiError(Exception):
    """Raise in an endpoint to answer ``status`` with this code and detail."""

    def __init__(
        self, status: int, code: str, detail: str, retry_after: float | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


# The HTTP status of a refusal's code; any other code is a 400.
STATUS = {
    "forbidden": 403,
    "sign_in_required": 401,
    "not_owner": 403,
    "unknown_room": 404,
    "unknown_member": 404,
    "unknown_person": 404,
    "unknown_group": 404,
    "group_taken": 409,
    "unknown_invitation": 404,
    "unknown_token": 404,
    "unknown_webhook": 404,
    "webhook_revoked": 410,
    "unknown_bot": 404,
    "username_taken": 409,
    "muted": 403,
    "room_taken": 409,
    "too_many_rooms": 409,
    "file_too_large": 413,
    "unsent_uploads_too_large": 413,
    "guest_uploads_off": 403,
    "rate_limited": 429,
    "confirm_required": 409,
    "all_mentions_off": 403,
    "room_archived": 403,
    "unknown_pin": 404,
    "unknown_thread": 404,
    "not_following": 409,
    "unknown_saved": 404,
    "too_many_pins": 409,
    "busy": 503,
    "email_not_sent": 503,
}


def refusal_status(code: str) -> int:
    return STATUS.get(code, 400)


class ErrorOut(Schema):
    type: Literal["error"] = "error"
    code: str
    detail: str
    retry_after: float | None = None  # with 429 and 503: seconds to wait before trying again


def error_body(code: str, detail: str, retry_after: float | None = None) -> dict:
    """The answer's JSON; ``detail`` (often a lazy translation) in the request's language."""
    body = {"type": "error", "code": code, "detail": str(detail)}
    if retry_after is not None:
        body["retry_after"] = retry_after
    return body
