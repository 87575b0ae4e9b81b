"""Rooms, their members, invitations and read marks; direct messages (docs/api.md)."""

from datetime import datetime

from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from api.auth import any_session, signed_in
from api.errors import ApiError, ErrorOut
from chat import selectors
from chat.access import RoomAccess, guest_account, room_access, visitor_check
from chat.formatting import inline_html
from chat.models import Room
from chat.protocol import events
from chat.rooms import InvalidRoomName, room_name_clean
from chat.services import rooms as rooms_service
from chat.services.broadcast import LAYER_ERRORS
from chat.services.presence import presence

router = Router(tags=["rooms"])
dms_router = Router(tags=["direct messages"])

DIRECTORY_SIZE = 50
# The HTTP status of each refusal the services give; any other code is a 400.
REFUSALS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class RoomOut(Schema):
    name: str
    url: str
    kind: str
    private: bool
    title: str
    dm_with: str | None = None
    dm_with_name: str = ""  # the other person's display name, if they set one
    member: bool
    owner: bool
    online: int
    messages: int
    last_message_at: str | None
    unread: int
    mentions: int
    last_read: int | None
    level: str  # what notifies the person here: "all", "mentions" or "nothing"
    all_mentions: bool  # whether @all, @room and @here may be used here
    topic: str  # one line of inline Markdown, as typed
    topic_html: str  # the topic as safe inline HTML
    description: str
    archived: bool  # readable and searchable; nothing new is posted, edited or reacted to


class RoomsOut(Schema):
    rooms: list[RoomOut]


class RoomIn(Schema):
    name: str
    private: bool = False


class UsernameIn(Schema):
    username: str


class MemberOut(Schema):
    username: str
    owner: bool
    display_name: str = ""


class MembersOut(Schema):
    members: list[MemberOut]


class SeqIn(Schema):
    seq: int
    # Only ever move the mark forward (what a page sends as it shows messages); without
    # it, a seq below the mark moves it back ("Mark unread from here").
    forward: bool = False


class LevelIn(Schema):
    level: str


class RoomChangeIn(Schema):
    all_mentions: bool | None = None
    topic: str | None = None
    description: str | None = None


class InvitationIn(Schema):
    hours: int = rooms_service.INVITATION_HOURS_DEFAULT


class InvitationOut(Schema):
    id: int
    url: str
    expires: datetime


class InvitationInfo(Schema):
    id: int
    expires: datetime
    created_by: str | None
    used_by: str | None
    revoked: bool


class InvitationsOut(Schema):
    invitations: list[InvitationInfo]


def _room_out(entry: selectors.RoomEntry, online: int = 0) -> dict:
    room, membership = entry.room, entry.membership
    return {
        "name": room.name,
        "url": reverse("chat:room", args=[room.name]),
        "kind": room.kind,
        "private": room.private,
        "title": entry.title,
        "dm_with": entry.dm_with,
        "dm_with_name": entry.dm_with_name,
        "member": membership is not None,
        "owner": membership is not None and membership.is_owner,
        "online": online,
        "messages": room.last_seq,
        "last_message_at": events.iso_utc(room.last_message_at) if room.last_message_at else None,
        "unread": entry.unread,
        "mentions": entry.mentions,
        "last_read": membership.last_read_seq if membership is not None else None,
        "level": (membership.level if membership is not None else "")
        or rooms_service.level_default(room),
        "all_mentions": room.all_mentions,
        "topic": room.topic,
        "topic_html": inline_html(room.topic) if room.topic else "",
        "description": room.description,
        "archived": room.archived_at is not None,
    }


def _user_id(request) -> int | None:
    return request.user.pk if request.user.is_authenticated else None


def _access(request, name: str) -> RoomAccess:
    """The requester's access to the room ``name``; raises the API's refusal (``Forbidden``
    included: api.site answers it, as it answers every ``ActionRefused``)."""
    try:
        return room_access(room_name=room_name_clean(name), user_id=_user_id(request))
    except InvalidRoomName as exc:
        raise ApiError(400, "invalid_room", exc.detail) from None


def _existing_access(request, name: str) -> RoomAccess:
    access = _access(request, name)
    if access.room is None:
        raise ApiError(404, "unknown_room", _("No room has this name yet."))
    return access


def room_to_post_in(request, name: str) -> Room:
    """The room ``name``, if the requester may read (so post in) it; a free name
    becomes a public room, as a first message makes one."""
    access = _access(request, name)
    if access.room is not None:
        return access.room
    return Room.objects.get_or_create(name=room_name_clean(name))[0]


def existing_room(request, name: str) -> Room:
    return _existing_access(request, name).room


def _members_access(request, name: str, refusal) -> RoomAccess:
    """The access of a member of a private room, who may add people and invite them;
    ``refusal`` (403 ``forbidden``) for anyone else."""
    access = _existing_access(request, name)
    if not access.room.private or access.room.kind == Room.Kind.DM:
        raise rooms_service.not_private(access.room)
    if not access.member:
        raise ApiError(403, "forbidden", refusal)
    return access


def _entry(request, room: Room) -> dict:
    return _room_out(selectors.room_entry(user_id=_user_id(request), room=room))


def _listed(entries: list[selectors.RoomEntry]) -> list[selectors.RoomEntry]:
    """A closed DM stays out of the list until it has something unread."""
    return [e for e in entries if not (e.membership and e.membership.closed and not e.unread)]


def rooms_own(*, user_id: int) -> list[dict]:
    """The person's own rooms as ``GET /api/rooms/`` lists them (``online`` left at 0):
    what the room page embeds, so its sidebar shows before it asks, and in the copy the
    service worker keeps for offline use."""
    return [
        _room_out(entry) for entry in _listed(selectors.room_entries(user_id=user_id, rooms=[]))
    ]


@router.get("/", response=RoomsOut, auth=None)
async def rooms_list(request):
    """The rooms the requester may read and cares about: the most active public rooms and
    every room they are a member of, those with the most people online first."""
    user = await request.auser()
    user_id = user.pk if user.is_authenticated else None
    visitor_check(signed_in=user_id is not None)

    def read() -> list[selectors.RoomEntry]:
        # A guest account isn't shown the public rooms: only its own.
        rooms_only = user_id is not None and guest_account(user_id)
        public = [] if rooms_only else selectors.rooms_recently_active(limit=DIRECTORY_SIZE)
        return _listed(selectors.room_entries(user_id=user_id, rooms=public))

    entries = await sync_to_async(read)()
    try:
        online = await presence().online_counts([entry.room.name for entry in entries])
    except LAYER_ERRORS:
        online = {}
    rooms = [_room_out(entry, online.get(entry.room.name, 0)) for entry in entries]
    rooms.sort(key=lambda room: room["last_message_at"] or "", reverse=True)
    rooms.sort(key=lambda room: room["online"], reverse=True)  # stable: recent first
    return {"rooms": rooms}


@router.post("/", response={201: RoomOut, **REFUSALS}, auth=signed_in)
def room_create(request, body: RoomIn):
    """Make a room; the requester owns it. A name kept for direct messages is refused as
    reserved whether or not that DM exists, so the answer doesn't tell who talks."""
    room = rooms_service.room_create(user=request.user, name=body.name, private=body.private)
    return Status(201, _entry(request, room))


async def _online(room_name: str) -> int:
    try:
        return (await presence().online_counts([room_name])).get(room_name, 0)
    except LAYER_ERRORS:
        return 0


@router.get("/{name}/", response={200: RoomOut, **REFUSALS}, auth=None)
def room_detail(request, name: str):
    """One room as the requester sees it (a free name: a public room with no messages)."""
    access = _access(request, name)
    room = access.room or Room(name=room_name_clean(name))
    online = async_to_sync(_online)(room.name)
    if access.room is None:
        return _room_out(selectors.RoomEntry(room, None, room.name), online)
    return _room_out(selectors.room_entry(user_id=_user_id(request), room=room), online)


@router.get("/{name}/members/", response={200: MembersOut, **REFUSALS}, auth=None)
def members_list(request, name: str):
    """Who is in the room: for those who may read it; a public room's (the people who keep
    it in their sidebar) for signed-in people only."""
    room = existing_room(request, name)
    if not room.private and not request.user.is_authenticated:
        raise ApiError(401, "sign_in_required", _("Sign in to see who keeps this room."))
    members = room.memberships.filter(user__is_active=True).order_by("user__username")
    rows = members.values_list("user__username", "is_owner", "user__profile__display_name")
    return {
        "members": [
            {"username": username, "owner": owner, "display_name": shown or ""}
            for username, owner, shown in rows
        ]
    }


@router.post("/{name}/members/", response={200: MemberOut, 201: MemberOut, **REFUSALS},
             auth=signed_in)  # fmt: skip
def member_add(request, name: str, body: UsernameIn):
    """Add someone to a private room the requester is a member of."""
    access = _members_access(request, name, _("Only members can add people in this room."))
    membership, created = rooms_service.member_add(
        room=access.room, by=request.user, username=body.username
    )
    return Status(
        201 if created else 200,
        {"username": membership.user.username, "owner": membership.is_owner},
    )


@router.delete("/{name}/members/{username}/", response={204: None, **REFUSALS}, auth=signed_in)
def member_remove(request, name: str, username: str):
    """Remove someone (owners), or leave (anyone)."""
    room = existing_room(request, name)
    rooms_service.member_remove(room=room, by=request.user, username=username)
    return Status(204, None)


@router.post("/{name}/read/", response={200: RoomOut, **REFUSALS}, auth=signed_in)
def read_mark(request, name: str, body: SeqIn):
    """Move the requester's read mark: forward, or back to mark what follows unread
    (unless ``forward``)."""
    if body.seq < 0:
        raise ApiError(400, "invalid_seq", _("“seq” must be a whole number, 0 or more."))
    room = existing_room(request, name)
    rooms_service.read_mark(room=room, user=request.user, seq=body.seq, forward_only=body.forward)
    return _entry(request, room)


@router.post("/{name}/close/", response={204: None, **REFUSALS}, auth=signed_in)
def dm_close(request, name: str):
    """Close a DM: out of your sidebar until it is opened again or has something new."""
    rooms_service.dm_close(room=existing_room(request, name), user=request.user)
    return Status(204, None)


@router.put("/{name}/notifications/", response={200: RoomOut, **REFUSALS}, auth=signed_in)
def level_set(request, name: str, body: LevelIn):
    """Choose what notifies you here: ``all``, ``mentions`` or ``nothing``."""
    room = existing_room(request, name)
    rooms_service.level_set(room=room, user=request.user, level=body.level)
    return _entry(request, room)


@router.patch("/{name}/", response={200: RoomOut, **REFUSALS}, auth=signed_in)
def room_change(request, name: str, body: RoomChangeIn):
    """Set the topic and description (owners and admins; in a DM, its two people), turn
    @all, @room and @here on or off (admins). Fields left out stay as they are."""
    room = existing_room(request, name)
    with transaction.atomic():
        if body.all_mentions is not None:
            rooms_service.all_mentions_set(room=room, allowed=body.all_mentions, by=request.user)
        if body.topic is not None or body.description is not None:
            rooms_service.room_about_set(
                room=room, by=request.user, topic=body.topic, description=body.description
            )
    return _entry(request, room)


@router.post("/{name}/archive/", response={200: RoomOut, **REFUSALS}, auth=signed_in)
def room_archive(request, name: str):
    """Archive the room (owners and admins): readable and searchable, nothing new in it."""
    room = rooms_service.room_archive(
        room=existing_room(request, name), by=request.user, archived=True
    )
    return _entry(request, room)


@router.post("/{name}/unarchive/", response={200: RoomOut, **REFUSALS}, auth=signed_in)
def room_unarchive(request, name: str):
    """Bring an archived room back."""
    room = rooms_service.room_archive(
        room=existing_room(request, name), by=request.user, archived=False
    )
    return _entry(request, room)


@router.post("/{name}/invitations/", response={201: InvitationOut, **REFUSALS}, auth=signed_in)
def invitation_create(request, name: str, body: InvitationIn):
    """A single-use link into a private room, shown once."""
    access = _members_access(request, name, _("Only members can invite people in this room."))
    invitation, token = rooms_service.invitation_create(
        room=access.room, by=request.user, hours=body.hours
    )
    url = request.build_absolute_uri(reverse("invitation", args=[token]))
    return Status(201, {"id": invitation.pk, "url": url, "expires": invitation.expires})


@router.get("/{name}/invitations/", response={200: InvitationsOut, **REFUSALS}, auth=signed_in)
def invitations_list(request, name: str):
    access = _members_access(request, name, _("Only members can see invitations in this room."))
    invitations = access.room.invitations.select_related("created_by", "used_by").order_by("-pk")
    return {
        "invitations": [
            {
                "id": i.pk,
                "expires": i.expires,
                "created_by": i.created_by.username if i.created_by else None,
                "used_by": i.used_by.username if i.used_by else None,
                "revoked": i.revoked_at is not None,
            }
            for i in invitations
        ]
    }


@router.delete("/{name}/invitations/{invitation_id}/", response={204: None, **REFUSALS},
               auth=signed_in)  # fmt: skip
def invitation_revoke(request, name: str, invitation_id: int):
    access = _members_access(request, name, _("Only members can revoke invitations in this room."))
    rooms_service.invitation_revoke(room=access.room, by=request.user, invitation_id=invitation_id)
    return Status(204, None)


@dms_router.post("/", response={200: RoomOut, 201: RoomOut, **REFUSALS}, auth=any_session)
def dm_open(request, body: UsernameIn):
    """The direct-message room of the requester and ``username``, the same one each time."""
    if not request.user.is_authenticated:
        raise ApiError(400, "dm_guest", _("Guests can't have direct messages: sign in first."))
    room, created = rooms_service.dm_open(user=request.user, username=body.username)
    return Status(201 if created else 200, _entry(request, room))
