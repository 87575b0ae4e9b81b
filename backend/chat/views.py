"""HTTP views of the chat: thin adapters over rooms, selectors and services."""

import functools

import emoji
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from api.rooms import rooms_own
from chat import selectors
from chat.access import Forbidden, RoomAccess, SignInRequired, room_access
from chat.formatting import inline_html
from chat.identity import identity_of
from chat.models import Attachment, Room
from chat.protocol import FINAL, CloseCode, events
from chat.protocol.frames import FrameError, seq_parse
from chat.rooms import ROOM_NAME_MAX_LENGTH, InvalidRoomName, room_name_clean
from chat.search import SearchError, message_search
from chat.services.rooms import (
    InvitationRefused,
    invitation_accept,
    invitation_find,
    room_name_taken_as,
)
from people.profiles import profile_get

PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 200
# A room page's header naming the signed-in person it was made for (sw.js).
KEPT_FOR_HEADER = "X-Chat-Person"


def _visitor_turned_away(request) -> bool:
    """With CHAT_GUESTS off, visitors sign in before they see any room."""
    return not settings.CHAT_GUESTS and not request.user.is_authenticated


@require_GET
def index(request):
    """The room picker. ``?room=<name>`` goes to that room, or says why it can't."""
    if _visitor_turned_away(request):
        return redirect_to_login(request.get_full_path())
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
def search(request):
    """The search page: results from the rooms the searcher may read, each a link that
    opens its room at that message (``?around=<seq>``)."""
    if _visitor_turned_away(request):
        return redirect_to_login(request.get_full_path())
    query = request.GET.get("q", "")
    context = {"query": query, "room": request.GET.get("room", ""), "results": None}
    if query.strip():
        try:
            context["results"] = message_search(
                user_id=_user_id(request), query=query, room=context["room"] or None
            )
        except SearchError as exc:
            context["error"] = exc.detail
    return render(request, "chat/search.html", context, status=400 if "error" in context else 200)


def _user_id(request) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


def _forbidden_page(request, room_name: str, exc: Forbidden):
    context = {"room_name": room_name, "error": exc.detail}
    return render(request, "chat/forbidden.html", context, status=403)


@require_GET
def room(request, room_name):
    try:
        room_name = room_name_clean(room_name)
        access = room_access(room_name=room_name, user_id=_user_id(request))
    except InvalidRoomName as exc:
        return render(
            request, "chat/bad_room.html", {"error": str(exc), "value": room_name}, status=400
        )
    except SignInRequired:
        return redirect_to_login(request.get_full_path())
    except Forbidden as exc:
        return _forbidden_page(request, room_name, exc)
    if access.room is None and (taken := room_name_taken_as(room_name)) is not None:
        # "General" is the room "general": its page, not a new room.
        query = request.META.get("QUERY_STRING")
        return redirect(reverse("chat:room", args=[taken]) + (f"?{query}" if query else ""))
    context = {
        "room_name": room_name,
        "room_context": _room_context(request, room_name, access),
        # Guests don't see the attach button when they may not upload.
        "may_upload": request.user.is_authenticated or settings.CHAT_GUEST_UPLOADS,
        # For the page's one request before it connects (becoming a guest).
        "csrf": get_token(request),
        "limits": {
            "max_length": settings.CHAT_MESSAGE_MAX_LENGTH,
            "edit_window_minutes": settings.CHAT_EDIT_WINDOW_MINUTES,
            "upload_max_bytes": settings.CHAT_UPLOAD_MAX_MB * 1024 * 1024,
        },
        # The page's script reads these (json_script) instead of keeping its own copy.
        "close_codes": {
            "codes": {code.name: code.value for code in CloseCode},
            "final": sorted(FINAL),
        },
        # A new account's first page: who is here, and how to find rooms.
        "welcome": _welcome(request) if request.GET.get("welcome") == "1" else None,
        # The sidebar's rooms, shown before the page asks the API (and by the copy of
        # the page kept for offline use).
        "own_rooms": rooms_own(user_id=request.user.pk) if request.user.is_authenticated else [],
    }
    response = render(request, "chat/room.html", context)
    if request.user.is_authenticated:
        # Whom the page is for: the service worker keeps only pages that say, and
        # every page drops kept copies that are someone else's (chat/kept-pages.js).
        response[KEPT_FOR_HEADER] = str(request.user.pk)
    return response


WELCOME_NAMES = 12


def _welcome(request) -> dict | None:
    if not request.user.is_authenticated:
        return None
    others = get_user_model().objects.filter(is_active=True).exclude(pk=request.user.pk)
    names = list(
        others.order_by("-last_login").values_list("username", flat=True)[: WELCOME_NAMES + 1]
    )
    return {"people": names[:WELCOME_NAMES], "more": max(0, others.count() - WELCOME_NAMES)}


def _room_context(request, room_name: str, access: RoomAccess) -> dict:
    """What the page needs to know of the room and of the person (docs/api.md's Room)."""
    title, kind, dm_with, all_mentions = room_name, "public", None, True
    room = access.room or Room(name=room_name)
    if access.room is not None:
        kind = access.room.kind
        entry = selectors.room_entry(user_id=_user_id(request), room=access.room)
        title, dm_with = entry.dm_with_name or entry.title, entry.dm_with
        all_mentions = access.room.all_mentions
    membership = access.membership
    return {
        "name": room_name,
        "kind": kind,
        "title": title,
        "private": kind != "public",
        "member": membership is not None,
        "owner": access.owner,
        "last_read": membership.last_read_seq if membership is not None else None,
        "signed_in": request.user.is_authenticated,
        "username": request.user.get_username() if request.user.is_authenticated else None,
        "level": membership.level if membership is not None else "",
        "dm_with": dm_with,  # a DM's other person (their username)
        "all_mentions": all_mentions,
        "topic": room.topic,
        "topic_html": inline_html(room.topic) if room.topic else "",
        "description": room.description,
        "archived": room.archived_at is not None,
        # Whether they may change the topic and archive it: admins, owners, a DM's people.
        "manager": request.user.is_staff
        or access.owner
        or (kind == "dm" and membership is not None),
        # The page writes times in this zone (their profile's; "": the browser's).
        "time_zone": profile_get(request.user).time_zone if request.user.is_authenticated else "",
    }


def _json_error(code: str, detail: str, status: int = 400) -> JsonResponse:
    return JsonResponse(events.error_event(code, detail), status=status)


@require_GET
def room_messages(request, room_name):
    """Older messages, for scrolling back: ``?before=<seq>&limit=<n>`` (newest page by default);
    or the messages around one, for opening a search result: ``?around=<seq>``.

    Answers ``{"messages": [...], "has_more": bool}`` with messages oldest first,
    each shaped like a WebSocket ``message`` frame (``has_more``: older ones exist);
    with ``around``, also ``has_newer``.
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
        around = (
            seq_parse(request.GET["around"], field="around") if "around" in request.GET else None
        )
    except FrameError as exc:
        return _json_error(exc.code, exc.detail)
    if not 1 <= limit <= PAGE_LIMIT_MAX:
        return _json_error(
            "invalid_limit", _('"limit" must be between 1 and {max}.').format(max=PAGE_LIMIT_MAX)
        )
    try:
        room_access(room_name=room_name, user_id=_user_id(request))
    except Forbidden as exc:
        return _json_error(
            exc.code, exc.detail, status=401 if exc.code == SignInRequired.code else 403
        )
    extra = {}
    if around is not None:
        messages, has_more, extra["has_newer"] = selectors.room_messages_around(
            room_name=room_name, seq=around, limit=limit
        )
    else:
        messages, has_more = selectors.room_messages_before(
            room_name=room_name, before=before, limit=limit
        )
    return JsonResponse(
        {"messages": [events.message_event(m) for m in messages], "has_more": has_more, **extra}
    )


@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """An invitation link: who is signed in sees the room's name and a Join button (a POST,
    so link previews don't use it up); a link that can't be used says why."""
    try:
        found = invitation_find(token)
    except InvitationRefused as exc:
        return render(request, "chat/invitation.html", {"error": exc.detail}, status=exc.status)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        try:
            joined = invitation_accept(token=token, user=request.user)
        except InvitationRefused as exc:
            return render(request, "chat/invitation.html", {"error": exc.detail}, status=exc.status)
        return redirect(reverse("chat:room", args=[joined.name]))
    return render(request, "chat/invitation.html", {"room_name": found.room.name})


# Files are never run or shown as pages: a sandbox with nothing allowed.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def _attachment(request, key: str) -> Attachment:
    """The attachment ``key``, if the requester may read its room (checked each time)."""
    attachment = Attachment.objects.select_related("room").filter(key=key).first()
    unsent = attachment is not None and attachment.message_id is None
    if attachment is None or unsent and not _uploaded_by(request, attachment):
        raise Http404("No such file.")  # an upload not sent yet is its uploader's alone
    try:
        room_access(room_name=attachment.room.name, user_id=_user_id(request))
    except Forbidden:
        raise PermissionDenied("Only people who may read this room can open its files.") from None
    return attachment


def _uploaded_by(request, attachment: Attachment) -> bool:
    identity = identity_of(request.user, request.session, create=False)
    return identity is not None and identity.key == attachment.sender_key


def file_response(stored, *, name: str, content_type: str, inline: bool) -> FileResponse:
    """A stored file as people's browsers get it: never sniffed, run or framed, kept
    privately for an hour."""
    response = FileResponse(
        stored.open("rb"), content_type=content_type, as_attachment=not inline, filename=name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def attachment_file(request, key: str, name: str):
    """An attachment: a verified image inline, anything else as a download."""
    attachment = _attachment(request, key)
    return file_response(
        attachment.file, name=attachment.name, content_type=attachment.content_type,
        inline=attachment.is_image,
    )  # fmt: skip


@require_GET
def attachment_thumbnail(request, key: str):
    attachment = _attachment(request, key)
    if not attachment.thumbnail:
        raise Http404("This file has no thumbnail.")
    return file_response(
        attachment.thumbnail, name="thumbnail.webp", content_type="image/webp", inline=True
    )


@functools.cache
def _emoji_catalog() -> list[list[str]]:
    """Every emoji a reaction may be (fully qualified, skin tones left to the keyboard),
    with its name and other names, for the page's picker to search."""
    return [
        [
            character,
            data["en"].strip(":").replace("_", " "),
            " ".join(alias.strip(":").replace("_", " ") for alias in data.get("alias", ())),
        ]
        for character, data in emoji.EMOJI_DATA.items()
        if data["status"] == emoji.STATUS["fully_qualified"] and "skin_tone" not in data["en"]
    ]


@require_GET
def emoji_catalog(request):
    """``{"emoji": [[emoji, name, other names], ...]}``: what the reaction picker offers."""
    response = JsonResponse({"emoji": _emoji_catalog()}, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=86400"
    return response
