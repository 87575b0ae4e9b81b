"""Invitations to the organization, and join links: made and revoked by admins, used to
sign up with a role. A visitor who opens one keeps it in their session until they sign
up (by password or by SSO); it is used (counted, or spent) as the account is made."""

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.models import Membership, Room
from chat.services import ActionRefused
from chat.services.rooms import access_changed
from integrations.tokens import secret_hash
from organization.mail import email_normalized, invitation_mail
from organization.models import AuditEntry, GuestAccount, Invitation, Role
from organization.services import audit_record, is_admin, role_give

SESSION_KEY = "chat_invitation"  # the id of the invitation a visitor opened
EXPIRES_IN_DAYS_MAX = 365
GENERAL_ROOM = "general"


class InvitationGone(Exception):
    """The invitation can't be used: revoked, expired or used up (410)."""


def _admin(by) -> None:
    if not is_admin(by):
        raise ActionRefused("forbidden", _("Only admins invite people."))


def invitation_url(secret: str) -> str:
    return reverse("join", args=[secret])


def invitation_create(
    *,
    by,
    role: str = Role.MEMBER,
    email: str = "",
    expires_in_days: int | None = 7,
    join_link: bool = False,
    max_uses: int | None = None,
    room: Room | None = None,
    guest_until=None,
) -> tuple[Invitation, str]:
    """A new invitation (or join link) and its secret, shown once (only its hash is
    kept). Raises ActionRefused."""
    _admin(by)
    if role not in (Role.MEMBER, Role.ADMIN, Role.GUEST):
        raise ActionRefused("invalid_role", _("An invitation's role is member, admin or guest."))
    if role == Role.ADMIN and not (by.is_superuser or by.is_staff):
        raise ActionRefused("forbidden", _("Only admins invite admins."))
    if expires_in_days is not None and not 1 <= expires_in_days <= EXPIRES_IN_DAYS_MAX:
        raise ActionRefused(
            "invalid_expiry",
            format_lazy(_("An invitation lasts 1 to {max} days."), max=EXPIRES_IN_DAYS_MAX),
        )
    if max_uses is not None and not 1 <= max_uses <= 100_000:
        raise ActionRefused("invalid_uses", _("A join link is used 1 to 100,000 times, or any."))
    if room is not None and (role != Role.GUEST or room.kind != Room.Kind.PRIVATE):
        raise ActionRefused(
            "invalid_room", _("Only a guest invitation names a room: a private one.")
        )
    if guest_until is not None and role != Role.GUEST:
        raise ActionRefused("invalid_until", _("Only a guest's account ends by itself."))
    if guest_until is not None and guest_until <= timezone.now():
        raise ActionRefused("invalid_until", _("A guest's end date is in the future."))
    if email:
        email = email_normalized(email)
        try:
            validate_email(email)
        except ValidationError:
            raise ActionRefused(
                "invalid_email", format_lazy(_("“{email}” is not an e-mail address."), email=email)
            ) from None
    secret = secrets.token_urlsafe(24)  # 192 random bits
    invitation = Invitation.objects.create(
        token_hash=secret_hash(secret),
        role=role,
        email=email,
        join_link=join_link,
        max_uses=max_uses if join_link else 1,
        room=room,
        guest_until=guest_until,
        created_by=by,
        expires_at=None
        if expires_in_days is None
        else timezone.now() + timedelta(days=expires_in_days),
    )
    what = "join link" if join_link else f"invitation ({role})"
    audit_record(by=by, action=AuditEntry.Action.INVITE, target=by, detail=what)
    return invitation, secret


def invitation_send(invitation: Invitation, url: str) -> None:
    """E-mail the invitation to its address (ActionRefused ``email_not_sent``)."""
    invitation_mail(
        email=invitation.email,
        url=url,
        inviter=invitation.created_by.username,
        role=invitation.role,
    )


def invitations_listed(*, by):
    _admin(by)
    return list(Invitation.objects.filter(revoked_at__isnull=True).select_related("room"))


def invitation_revoke(*, by, invitation_id: int) -> None:
    _admin(by)
    revoked = Invitation.objects.filter(pk=invitation_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not revoked:
        raise ActionRefused("unknown_invitation", _("No such invitation (or it was revoked)."))
    audit_record(
        by=by, action=AuditEntry.Action.REVOKE_INVITATION, target=by, detail=f"#{invitation_id}"
    )


def join_link_reset(*, by, invitation_id: int) -> tuple[Invitation, str]:
    """A join link's new secret: the old URL stops working; its uses start again."""
    _admin(by)
    invitation = Invitation.objects.filter(
        pk=invitation_id, join_link=True, revoked_at__isnull=True
    ).first()
    if invitation is None:
        raise ActionRefused("unknown_invitation", _("No such join link (or it was revoked)."))
    secret = secrets.token_urlsafe(24)
    invitation.token_hash = secret_hash(secret)
    invitation.uses = 0
    invitation.save(update_fields=["token_hash", "uses"])
    return invitation, secret


def _usable(invitation: Invitation | None) -> Invitation:
    if invitation is None or invitation.revoked_at is not None:
        raise InvitationGone(_("This invitation was revoked, or never existed."))
    if invitation.expires_at is not None and invitation.expires_at <= timezone.now():
        raise InvitationGone(_("This invitation has expired."))
    if invitation.uses_left == 0:
        raise InvitationGone(_("This invitation has been used."))
    return invitation


def invitation_open(secret: str) -> Invitation:
    """The invitation a link's secret names, if it can still be used; else InvitationGone."""
    return _usable(Invitation.objects.filter(token_hash=secret_hash(secret)).first())


def invitation_pending(session) -> Invitation | None:
    """The usable invitation a visitor opened, if any."""
    invitation_id = session.get(SESSION_KEY)
    if invitation_id is None:
        return None
    try:
        return _usable(Invitation.objects.filter(pk=invitation_id).first())
    except InvitationGone:
        return None


@transaction.atomic
def invitation_use(*, invitation_id: int, user) -> None:
    """Spend (or count) the invitation for the account just made, and give it the role.
    Raises InvitationGone when it was used up meanwhile (the account is not made)."""
    invitation = _usable(Invitation.objects.select_for_update().filter(pk=invitation_id).first())
    spent = Invitation.objects.filter(pk=invitation.pk, uses=invitation.uses).update(
        uses=F("uses") + 1
    )
    if not spent:
        raise InvitationGone(_("This invitation has been used."))
    role_give(user, invitation.role)
    if invitation.role == Role.GUEST:
        GuestAccount.objects.create(user=user, until=invitation.guest_until)
        if invitation.room is not None:
            Membership.objects.create(room=invitation.room, user=user, chosen=True)
            access_changed(invitation.room, user.pk)
    audit_record(
        by=user, action=AuditEntry.Action.JOIN, target=user, detail=f"as {invitation.role}"
    )


def general_join(user) -> None:
    """Everyone but a guest account joins the ``general`` room (made if missing)."""
    if GuestAccount.objects.filter(user=user).exists():
        return
    room, _ = Room.objects.get_or_create(name=GENERAL_ROOM, defaults={"kind": Room.Kind.PUBLIC})
    if room.kind == Room.Kind.PUBLIC:
        Membership.objects.get_or_create(room=room, user=user, defaults={"chosen": True})
