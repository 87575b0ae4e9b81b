"""Frames the server sends, declared once and serialized once.

A broadcast frame is turned into JSON text a single time by the poster and
carried through the channel layer as that text, so fanning it out to every
member costs no further encoding.
"""

import json
from typing import Literal, TypedDict


class MessageEvent(TypedDict):
    type: Literal["message"]
    message: str
    sent_at: str


class ErrorEvent(TypedDict):
    type: Literal["error"]
    code: str
    detail: str


ServerEvent = MessageEvent | ErrorEvent

# The channel-layer message type that carries a ready-made frame to members.
GROUP_FRAME_TYPE = "chat.frame"


def event_encode(event: ServerEvent) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def error_event(code: str, detail: str) -> ErrorEvent:
    return {"type": "error", "code": code, "detail": detail}
