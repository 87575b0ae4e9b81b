"""Reading rooms' history. Every function returns messages in ``seq`` order."""

from chat.models import Message, Room

HISTORY_LENGTH = 50


def _room_messages(room_name: str):
    return Message.objects.filter(room__name=room_name)


def room_history(*, room_name: str, limit: int = HISTORY_LENGTH) -> list[Message]:
    """The last ``limit`` messages of the room."""
    latest = list(_room_messages(room_name).order_by("-seq")[:limit])
    latest.reverse()
    return latest


def room_messages_after(*, room_name: str, after: int, limit: int) -> tuple[list[Message], bool]:
    """Messages with ``seq > after``, oldest first, at most ``limit``; and whether more exist."""
    page = list(_room_messages(room_name).filter(seq__gt=after).order_by("seq")[: limit + 1])
    return page[:limit], len(page) > limit


def room_messages_before(
    *, room_name: str, before: int | None, limit: int
) -> tuple[list[Message], bool]:
    """The ``limit`` messages just before ``seq`` ``before`` (or the latest); and whether
    older ones exist."""
    messages = _room_messages(room_name)
    if before is not None:
        messages = messages.filter(seq__lt=before)
    page = list(messages.order_by("-seq")[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    page.reverse()
    return page, has_more


def rooms_recently_active(*, limit: int) -> list[Room]:
    """Rooms with messages, the most recently active first."""
    return list(
        Room.objects.filter(last_message_at__isnull=False).order_by("-last_message_at")[:limit]
    )
