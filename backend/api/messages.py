"""A room's messages over HTTP: ``GET`` to read them after a seq, ``POST`` to post one,
stored and broadcast like a message sent over the WebSocket (docs/api.md)."""

import json

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http.request import RawPostDataException
from django.utils.translation import gettext_lazy as _
from ninja import Schema, Status

from api.auth import signed_in
from api.errors import ApiError, ErrorOut
from api.rooms import REFUSALS, existing_room, room_to_post_in, router
from chat import selectors
from chat.identity import Identity, identity_of
from chat.models import Room
from chat.protocol import events
from chat.protocol.frames import FrameError, SendMessage, message_parse, seq_parse
from chat.ratelimit import http_post_buckets
from chat.services.messages import PostResult, messages_post
from chat.services.storing import UNSTORABLE, Post
from previews import service as previews

UNSTORED = _("The message could not be stored; try again.")
PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 200
# The largest JSON body read: a message at its longest, four bytes a character, and room.
BODY_MAX_BYTES = 4 * 4096 + 64 * 1024


class MessagesOut(Schema):
    messages: list[dict]
    has_more: bool


class MessageIn(Schema):
    message: str
    nonce: str | None = None
    reply_to: int | None = None
    attachments: list[int] = []
    thread: int | None = None  # a reply in the thread of this seq
    also_room: bool = False  # a thread reply shown in the room too


def json_object(request, *, max_bytes: int = BODY_MAX_BYTES) -> dict:
    """The request's body as a JSON object, refused unread when too large."""
    return json_parsed(body_read(request, max_bytes=max_bytes))


def body_read(request, *, max_bytes: int = BODY_MAX_BYTES) -> bytes:
    """The request's body, refused unread when too large."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_large = ApiError(
        413, "body_too_large", _("The body is over {size} bytes.").format(size=f"{max_bytes:,}")
    )
    if declared > max_bytes:
        raise too_large
    try:
        body = request.body
    except RawPostDataException:
        raise ApiError(400, "invalid_request", _("The body was read already.")) from None
    if len(body) > max_bytes:
        raise too_large
    return body


def json_parsed(body: bytes | str) -> dict:
    """``body`` as a JSON object; ApiError ``invalid_json`` or ``invalid_request``."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", _("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", _("The body must be a JSON object."))
    return data


def message_of(data: dict) -> SendMessage:
    """The message a body asks to post, checked as a WebSocket ``message`` frame is."""
    try:
        return message_parse(data, max_length=settings.CHAT_MESSAGE_MAX_LENGTH)
    except FrameError as exc:
        raise ApiError(
            413 if exc.code == "message_too_long" else 400, exc.code, exc.detail
        ) from None


def message_post_now(room: Room, identity: Identity, message: SendMessage) -> PostResult:
    """Store and broadcast one message (raising the services' refusals)."""
    post = Post(
        identity, message.text, message.nonce, message.reply_to, message.attachments,
        confirm=message.confirm, thread=message.thread, also_room=message.also_room,
    )  # fmt: skip
    try:
        [outcome] = async_to_sync(messages_post)(room_name=room.name, posts=[post])
    except UNSTORABLE:
        raise ApiError(503, "unavailable", UNSTORED) from None
    if isinstance(outcome, UNSTORABLE):
        raise ApiError(503, "unavailable", UNSTORED)
    if isinstance(outcome, Exception):
        raise outcome  # ActionRefused: answered by api.site
    return outcome


def page_after(request, name: str, after: str, limit: str) -> tuple[Room, list, bool]:
    """The room ``name`` (for whoever may read it) and its oldest ``limit`` messages after
    seq ``after`` (query values, checked here), and whether more exist."""
    try:
        after_seq = seq_parse(after, field="after")
        count = seq_parse(limit, field="limit")
    except FrameError as exc:
        raise ApiError(400, exc.code, exc.detail) from None
    if not 1 <= count <= PAGE_LIMIT_MAX:
        raise ApiError(
            400,
            "invalid_limit",
            _("“limit” must be between 1 and {max}.").format(max=PAGE_LIMIT_MAX),
        )
    room = existing_room(request, name)
    page, has_more = selectors.room_messages_after(room_name=room.name, after=after_seq,
                                                   limit=count)  # fmt: skip
    return room, page, has_more


@router.get("/{name}/messages/", response={200: MessagesOut, **REFUSALS}, auth=None)
def messages_list(request, name: str, after: str = "0", limit: str = str(PAGE_LIMIT_DEFAULT)):
    """The oldest ``limit`` messages after seq ``after``, in seq order."""
    _room, page, has_more = page_after(request, name, after, limit)
    return {"messages": [events.message_event(m) for m in page], "has_more": has_more}


@router.post(
    "/{name}/messages/",
    response={200: dict, 201: dict, **REFUSALS, 413: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    auth=signed_in,
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": MessageIn.model_json_schema()}},
            "required": True,
        }
    },
)
def message_create(request, name: str):
    """Post a message; 201 with it, or 200 with the one stored before under the same nonce
    (once per sender, room and nonce, as on the WebSocket)."""
    message = message_of(json_object(request))
    room = room_to_post_in(request, name)
    identity = identity_of(request.user, request.session)
    wait = http_post_buckets.take(identity.key, settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_BURST)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            _("Too many messages; try again in {seconds} s.").format(seconds=f"{wait:.1f}"),
            round(wait, 1),
        )
    result = message_post_now(room, identity, message)
    return Status(201 if result.created else 200, events.message_event(result.message))


@router.delete("/{name}/messages/{seq}/preview/", response={204: None, **REFUSALS}, auth=signed_in)
def preview_remove(request, name: str, seq: int):
    """Remove a message's link preview (its author, or staff), for good."""
    room = existing_room(request, name)
    identity = identity_of(request.user, request.session)
    previews.preview_remove(room=room, seq=seq, identity=identity)
    return Status(204, None)
