"""Threads (docs/api.md): a thread's replies, following it and its read mark, and the
threads one follows with their unread counts."""

from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from api.auth import signed_in
from api.errors import ApiError
from api.messages import PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX
from api.rooms import REFUSALS, existing_room, router
from chat.protocol import events
from chat.services import threads

threads_router = Router(tags=["threads"])


class ThreadReadIn(Schema):
    seq: int


def _page_bounds(after: int, limit: int) -> None:
    if after < 0:
        raise ApiError(400, "invalid_after", _("“after” must be a whole number, 0 or more."))
    if not 1 <= limit <= PAGE_LIMIT_MAX:
        raise ApiError(
            400,
            "invalid_limit",
            _("“limit” must be between 1 and {max}.").format(max=PAGE_LIMIT_MAX),
        )


@router.get("/{name}/threads/{seq}/messages/", response={200: dict, **REFUSALS}, auth=None)
def thread_messages(request, name: str, seq: int, after: int = 0, limit: int = PAGE_LIMIT_DEFAULT):
    """The thread's root and its replies after ``after``, oldest first."""
    _page_bounds(after, limit)
    room = existing_room(request, name)
    root, replies, has_more = threads.thread_messages(room=room, seq=seq, after=after, limit=limit)
    return {
        "root": events.message_event(root),
        "messages": [events.message_event(reply) for reply in replies],
        "has_more": has_more,
        "following": request.user.is_authenticated
        and threads.following(room=room, seq=seq, user=request.user),
    }


@router.put("/{name}/threads/{seq}/follow/", response={204: None, **REFUSALS}, auth=signed_in)
def thread_follow(request, name: str, seq: int):
    threads.follow_set(
        room=existing_room(request, name), seq=seq, user=request.user, following=True
    )
    return Status(204, None)


@router.delete("/{name}/threads/{seq}/follow/", response={204: None, **REFUSALS}, auth=signed_in)
def thread_unfollow(request, name: str, seq: int):
    threads.follow_set(
        room=existing_room(request, name), seq=seq, user=request.user, following=False
    )
    return Status(204, None)


@router.post("/{name}/threads/{seq}/read/", response={204: None, **REFUSALS}, auth=signed_in)
def thread_read(request, name: str, seq: int, body: ThreadReadIn):
    """Move one's read mark in a followed thread forward."""
    threads.thread_read(
        room=existing_room(request, name), seq=seq, user=request.user, read=body.seq
    )
    return Status(204, None)


@threads_router.get("/", response={200: dict, **REFUSALS}, auth=signed_in)
def threads_list(request, unread: int = 0):
    """The threads one follows (``?unread=1``: those with replies not read yet), the
    latest reply first, each with its room, root and unread count."""
    found = threads.threads_followed(user=request.user, unread_only=bool(unread))
    return {
        "threads": [
            {
                "room": follow.room.name, "seq": follow.root_seq,
                "root": events.message_event(root), "thread_summary": events.summary_json(root),
                "unread": count, "last_read": follow.last_read_seq,
            }
            for follow, root, count in found
        ]
    }  # fmt: skip
