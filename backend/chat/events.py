"""Frames the server sends, declared once and serialized once.

A broadcast frame is turned into JSON text a single time by the poster and
carried through the channel layer as that text, so fanning it out to every
member costs no further encoding.
"""

import json
from typing import Literal, NotRequired, TypedDict

from chat.models import Message


class MessageEvent(TypedDict):
    type: Literal["message"]
    seq: int
    message: str
    user: str
    guest: bool
    sent_at: str
    nonce: str | None


class ReadyEvent(TypedDict):
    type: Literal["ready"]
    last_seq: int
    truncated: NotRequired[bool]


class IdentityEvent(TypedDict):
    type: Literal["identity"]
    user: str
    guest: bool


class ErrorEvent(TypedDict):
    type: Literal["error"]
    code: str
    detail: str


ServerEvent = MessageEvent | ReadyEvent | IdentityEvent | ErrorEvent

# Channel-layer message types (the consumer has a handler for each).
GROUP_FRAME_TYPE = "chat.frame"  # {"text": <encoded frame>, "seq": int}
IDENTITY_CHANGED_TYPE = "identity.changed"  # {"name": str}


def event_encode(event: ServerEvent) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def iso_utc(moment) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_event(message: Message) -> MessageEvent:
    return {
        "type": "message",
        "seq": message.seq,
        "message": message.body,
        "user": message.author_name,
        "guest": message.author_is_guest,
        "sent_at": iso_utc(message.created),
        "nonce": message.nonce,
    }


def ready_event(last_seq: int, *, truncated: bool = False) -> ReadyEvent:
    event: ReadyEvent = {"type": "ready", "last_seq": last_seq}
    if truncated:
        event["truncated"] = True
    return event


def identity_event(name: str, *, guest: bool) -> IdentityEvent:
    return {"type": "identity", "user": name, "guest": guest}


def error_event(code: str, detail: str) -> ErrorEvent:
    return {"type": "error", "code": code, "detail": detail}
