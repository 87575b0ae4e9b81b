"""``/api/invitations/``: admins invite people to the organization, by single-use
invitations and reusable join links (docs/api.md)."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from api.auth import signed_in
from api.errors import ApiError, ErrorOut
from chat.models import Room
from organization.invitations import (
    invitation_create,
    invitation_revoke,
    invitation_send,
    invitation_url,
    invitations_listed,
    join_link_reset,
)
from organization.models import Role

router = Router(tags=["People"])

REFUSALS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 503: ErrorOut}


class InvitationIn(Schema):
    email: str | None = None
    role: str = Role.MEMBER
    expires_in_days: int | None = 7
    join_link: bool = False
    max_uses: int | None = None  # a join link's; none: any number
    room: str | None = None  # a guest's one private room
    guest_until: datetime | None = None


class InvitationOut(Schema):
    id: int
    url: str | None = None  # only when made or reset: its secret isn't kept
    expires_at: datetime | None
    role: str
    email: str
    join_link: bool
    uses: int
    uses_left: int | None
    room: str | None = None
    guest_until: datetime | None = None


class InvitationsOut(Schema):
    invitations: list[InvitationOut]


def _out(request, invitation, secret: str | None = None) -> dict:
    return {
        "id": invitation.pk,
        "url": request.build_absolute_uri(invitation_url(secret)) if secret else None,
        "expires_at": invitation.expires_at,
        "role": invitation.role,
        "email": invitation.email,
        "join_link": invitation.join_link,
        "uses": invitation.uses,
        "uses_left": invitation.uses_left,
        "room": invitation.room.name if invitation.room else None,
        "guest_until": invitation.guest_until,
    }


@router.post("/", response={201: InvitationOut, **REFUSALS}, auth=signed_in)
def invitations_create(request, body: InvitationIn):
    """A new invitation (or join link): its URL is in this answer only. With an e-mail
    address, it is also sent there (503 ``email_not_sent``, and nothing made, when the
    e-mail server can't take it)."""
    room = None
    if body.room:
        room = Room.objects.filter(name=body.room).first()
        if room is None:
            raise ApiError(
                404, "unknown_room", _("No room is called “{name}”.").format(name=body.room)
            )
    with transaction.atomic():
        invitation, secret = invitation_create(
            by=request.user,
            role=body.role,
            email=body.email or "",
            expires_in_days=body.expires_in_days,
            join_link=body.join_link,
            max_uses=body.max_uses,
            room=room,
            guest_until=body.guest_until,
        )
        if invitation.email:
            invitation_send(invitation, request.build_absolute_uri(invitation_url(secret)))
    return Status(201, _out(request, invitation, secret))


@router.get("/", response={200: InvitationsOut, **REFUSALS}, auth=signed_in)
def invitations_list(request):
    """Invitations and join links not revoked, newest first (without their URLs)."""
    return {"invitations": [_out(request, i) for i in invitations_listed(by=request.user)]}


@router.delete("/{invitation_id}/", response={204: None, **REFUSALS}, auth=signed_in)
def invitations_revoke(request, invitation_id: int):
    invitation_revoke(by=request.user, invitation_id=invitation_id)
    return Status(204, None)


@router.post("/{invitation_id}/reset/", response={200: InvitationOut, **REFUSALS},
             auth=signed_in)  # fmt: skip
def join_links_reset(request, invitation_id: int):
    """A join link's new URL (the old one stops working) with its uses counted anew."""
    invitation, secret = join_link_reset(by=request.user, invitation_id=invitation_id)
    return _out(request, invitation, secret)
