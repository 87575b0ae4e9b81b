"""HTTP views of the chat: thin adapters over rooms, selectors and services."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from chat import selectors
from chat.protocol import FINAL, CloseCode, events
from chat.protocol.frames import FrameError, seq_parse
from chat.rooms import ROOM_NAME_MAX_LENGTH, InvalidRoomName, room_name_clean
from chat.services.broadcast import LAYER_ERRORS
from chat.services.presence import presence

PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 200
DIRECTORY_SIZE = 50


@require_GET
def index(request):
    """The room picker. ``?room=<name>`` goes to that room, or says why it can't."""
    raw = request.GET.get("room")
    if raw is None:
        return render(request, "chat/index.html", {"max_length": ROOM_NAME_MAX_LENGTH})
    try:
        room_name = room_name_clean(raw.strip())
    except InvalidRoomName as exc:
        context = {"max_length": ROOM_NAME_MAX_LENGTH, "error": str(exc), "value": raw}
        return render(request, "chat/index.html", context, status=400)
    return redirect(reverse("chat:room", args=[room_name]))


@require_GET
def room(request, room_name):
    try:
        room_name = room_name_clean(room_name)
    except InvalidRoomName as exc:
        return render(
            request, "chat/bad_room.html", {"error": str(exc), "value": room_name}, status=400
        )
    context = {
        "room_name": room_name,
        # For the page's one request before it connects (becoming a guest).
        "csrf": get_token(request),
        "max_length": settings.CHAT_MESSAGE_MAX_LENGTH,
        # The page's script reads these (json_script) instead of keeping its own copy.
        "close_codes": {
            "codes": {code.name: code.value for code in CloseCode},
            "final": sorted(FINAL),
        },
    }
    return render(request, "chat/room.html", context)


def _json_error(code: str, detail: str, status: int = 400) -> JsonResponse:
    return JsonResponse(events.error_event(code, detail), status=status)


@require_GET
def room_messages(request, room_name):
    """Older messages, for scrolling back: ``?before=<seq>&limit=<n>`` (newest page by default).

    Answers ``{"messages": [...], "has_more": bool}`` with messages oldest first,
    each shaped like a WebSocket ``message`` frame.
    """
    try:
        room_name = room_name_clean(room_name)
    except InvalidRoomName as exc:
        return _json_error("invalid_room", str(exc))
    try:
        before = (
            seq_parse(request.GET["before"], field="before") if "before" in request.GET else None
        )
        limit = seq_parse(request.GET.get("limit", PAGE_LIMIT_DEFAULT), field="limit")
    except FrameError as exc:
        return _json_error(exc.code, exc.detail)
    if not 1 <= limit <= PAGE_LIMIT_MAX:
        return _json_error("invalid_limit", f'"limit" must be between 1 and {PAGE_LIMIT_MAX}.')
    messages, has_more = selectors.room_messages_before(
        room_name=room_name, before=before, limit=limit
    )
    return JsonResponse(
        {"messages": [events.message_event(m) for m in messages], "has_more": has_more}
    )


@require_GET
async def room_directory(request):
    """Rooms with activity, the ones with most people online first, then the most recent.

    ``{"rooms": [{"name", "url", "online", "messages", "last_message_at"}]}``
    """
    rooms = await sync_to_async(selectors.rooms_recently_active)(limit=DIRECTORY_SIZE)
    try:
        online = await presence().online_counts([room.name for room in rooms])
    except LAYER_ERRORS:
        online = {}
    entries = [
        {
            "name": room.name,
            "url": reverse("chat:room", args=[room.name]),
            "online": online.get(room.name, 0),
            "messages": room.last_seq,
            "last_message_at": events.iso_utc(room.last_message_at),
        }
        for room in rooms
    ]
    entries.sort(key=lambda entry: entry["online"], reverse=True)  # stable: recent first
    return JsonResponse({"rooms": entries})
