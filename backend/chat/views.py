"""HTTP views of the chat: thin adapters over rooms and services."""

from django.shortcuts import redirect, render
from django.urls import reverse

from chat.rooms import ROOM_NAME_MAX_LENGTH, InvalidRoomName, room_name_clean


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


def room(request, room_name):
    try:
        room_name = room_name_clean(room_name)
    except InvalidRoomName as exc:
        return render(
            request, "chat/bad_room.html", {"error": str(exc), "value": room_name}, status=400
        )
    return render(request, "chat/room.html", {"room_name": room_name})
