"""Refusals of the API: the WebSocket's error shape, ``{"type": "error", "code", "detail"}``."""

from typing import Literal

from ninja import Schema


class ApiError(Exception):
    """Raise in an endpoint to answer ``status`` with this code and detail."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


# The HTTP status of a refusal's code; any other code is a 400.
STATUS = {
    "forbidden": 403,
    "not_owner": 403,
    "unknown_room": 404,
    "unknown_member": 404,
    "unknown_invitation": 404,
    "unknown_token": 404,
    "unknown_webhook": 404,
    "muted": 403,
    "room_taken": 409,
    "file_too_large": 413,
}


def refusal_status(code: str) -> int:
    return STATUS.get(code, 400)


class ErrorOut(Schema):
    type: Literal["error"] = "error"
    code: str
    detail: str


def error_body(code: str, detail: str) -> dict:
    return {"type": "error", "code": code, "detail": detail}
