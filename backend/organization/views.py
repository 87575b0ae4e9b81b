"""The People page: admins see everyone, invite people (single-use invitations and join
links), deactivate and reactivate them, and read the audit log; and an invitation's URL."""

import datetime

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from chat.models import Room
from chat.services import ActionRefused
from organization.invitations import (
    SESSION_KEY,
    InvitationGone,
    invitation_create,
    invitation_open,
    invitation_revoke,
    invitation_send,
    invitation_url,
    invitations_listed,
    join_link_reset,
)
from organization.models import Role
from organization.services import (
    audit_entries,
    is_admin,
    people_listed,
    person_deactivate,
    person_find,
    person_mfa_reset,
    person_reactivate,
    person_role_set,
)

NEW_URL_KEY = "new_invitation_url"  # the session holds a new URL until the page shows it
EXPIRY_CHOICES = (1, 7, 30)


@login_required
@require_http_methods(["GET", "POST"])
def people(request):
    if not is_admin(request.user):
        context = {"detail": _("Only admins of this chat see the People page.")}
        return render(request, "403.html", context, status=403)
    error = ""
    if request.method == "POST":
        try:
            _change(request)
            return redirect("people")
        except ActionRefused as exc:
            error = exc.detail
    context = {
        "people": people_listed(by=request.user),
        "invitations": invitations_listed(by=request.user),
        "entries": audit_entries(by=request.user, limit=50),
        "new_url": request.session.pop(NEW_URL_KEY, ""),
        "roles": [Role.MEMBER, Role.ADMIN, Role.GUEST],
        "private_rooms": Room.objects.filter(kind=Room.Kind.PRIVATE)
        .order_by("name")
        .values_list("name", flat=True)[:500],
        "expiry_choices": EXPIRY_CHOICES,
        "error": error,
    }
    return render(request, "organization/people.html", context, status=400 if error else 200)


def _change(request) -> None:
    """One change asked by the page's forms; raises ActionRefused."""
    form, by = request.POST, request.user
    action = form.get("action", "")
    if action in ("deactivate", "reactivate"):
        change = person_deactivate if action == "deactivate" else person_reactivate
        change(person=person_find(form.get("username", "")), by=by)
    elif action == "role":
        person_role_set(
            person=person_find(form.get("username", "")), role=form.get("role", ""), by=by
        )
    elif action == "reset_mfa":
        person_mfa_reset(person=person_find(form.get("username", "")), by=by)
    elif action in ("invite", "join_link"):
        days = _number(form.get("expires_in_days"))
        role = form.get("role", Role.MEMBER)
        guest = role == Role.GUEST and action == "invite"
        with transaction.atomic():
            invitation, secret = invitation_create(
                by=by,
                role=role,
                email=form.get("email", "").strip(),
                expires_in_days=days,
                join_link=action == "join_link",
                max_uses=_number(form.get("max_uses")),
                room=_private_room(form.get("room", "")) if guest else None,
                guest_until=_end_of(form.get("guest_until", "")) if guest else None,
            )
            url = request.build_absolute_uri(invitation_url(secret))
            if invitation.email:
                invitation_send(invitation, url)
        request.session[NEW_URL_KEY] = url
    elif action == "revoke":
        invitation_revoke(by=by, invitation_id=_number(form.get("invitation")) or 0)
    elif action == "reset":
        _invitation, secret = join_link_reset(
            by=by, invitation_id=_number(form.get("invitation")) or 0
        )
        request.session[NEW_URL_KEY] = request.build_absolute_uri(invitation_url(secret))
    else:
        raise ActionRefused("invalid_action", _("The page asked for something it doesn't do."))


def _private_room(name: str) -> Room | None:
    if not name:
        return None
    room = Room.objects.filter(name=name, kind=Room.Kind.PRIVATE).first()
    if room is None:
        raise ActionRefused(
            "unknown_room", _("No private room is called “{name}”.").format(name=name)
        )
    return room


def _end_of(day: str):
    """The end of the day ``day`` (YYYY-MM-DD) in the server's time zone, or None."""
    if not day:
        return None
    try:
        date = datetime.date.fromisoformat(day)
    except ValueError:
        raise ActionRefused(
            "invalid_until", _("Give the end date as a date, say 2027-01-31.")
        ) from None
    return timezone.make_aware(datetime.datetime.combine(date, datetime.time.max))


def _number(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


@require_http_methods(["GET"])
def join(request, secret: str):
    """An invitation's or join link's URL: kept in the visitor's session, then on to
    sign up (410 when it can't be used)."""
    try:
        invitation = invitation_open(secret)
    except InvitationGone as exc:
        context = {"detail": str(exc)}
        return render(request, "organization/invitation_gone.html", context, status=410)
    if request.user.is_authenticated:
        return render(request, "organization/invitation_signed_in.html", status=409)
    request.session[SESSION_KEY] = invitation.pk
    return redirect("signup")
