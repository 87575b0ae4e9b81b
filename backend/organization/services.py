"""Deactivating and reactivating people, and the audit log of it.

Deactivation ends everything that signs the person in or reaches them: their open
connections close (``deactivated``, 4401) once the change commits, their sessions are
removed, their API tokens stop working (tokens only sign in active accounts) and their
Web Push subscriptions are deleted. Their messages stay, under their name.
"""

from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.models import Room
from chat.services import ActionRefused
from chat.services.people import person_credentials_changed
from chat.services.rooms import access_changed
from notifications.models import PushSubscription
from organization.models import AuditEntry, GuestAccount, Role

SESSIONS_READ_AT_ONCE = 2000


def is_admin(user) -> bool:
    """Who manages people: staff (Django's admin flag) and the owner (a superuser)."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def person_find(username: str):
    """The account named ``username`` (in any case); ActionRefused ``unknown_person``."""
    person = get_user_model().objects.filter(username__iexact=username).first()
    if person is None:
        raise ActionRefused(
            "unknown_person", format_lazy(_("No one here is called “{name}”."), name=username)
        )
    return person


def _may_manage(by, person) -> None:
    if not is_admin(by):
        raise ActionRefused("forbidden", _("Only admins manage people."))
    if person.pk == by.pk:
        raise ActionRefused("forbidden", _("You can't change your own account here."))
    if person.is_superuser and not by.is_superuser:
        raise ActionRefused("forbidden", _("Only the owner can change an owner's account."))


@transaction.atomic
def person_deactivate(*, person, by) -> bool:
    """Deactivate ``person`` (whether anything changed: False if they already were)."""
    _may_manage(by, person)
    return _deactivated(person, by=by)


def _deactivated(person, *, by, detail: str = "") -> bool:
    if not person.is_active:
        return False
    person.is_active = False
    person.save(update_fields=["is_active"])  # its notice closes their connections
    account_cut_off(person)
    audit_record(by=by, action=AuditEntry.Action.DEACTIVATE, target=person, detail=detail)
    return True


def guests_expire(now=None) -> int:
    """Deactivate the guest accounts whose end date has come (how many). Each server
    worker runs this every minute; running it twice at once changes nothing twice."""
    now = now or timezone.now()
    due = GuestAccount.objects.filter(until__lte=now, user__is_active=True).select_related("user")
    expired = 0
    for guest in due:
        with transaction.atomic():
            expired += _deactivated(guest.user, by=None, detail="the guest's end date")
    return expired


def account_cut_off(person) -> None:
    """What goes with an account made inactive, however it was (here or in Django's
    admin): its sessions and push subscriptions; and the rooms it is in show it gone."""
    sessions_end(person)
    PushSubscription.objects.filter(user=person).delete()
    _members_changed(person)


@transaction.atomic
def person_reactivate(*, person, by) -> bool:
    """Let ``person`` sign in again (whether anything changed). Their sessions and push
    subscriptions were removed: they sign in and subscribe anew."""
    _may_manage(by, person)
    if person.is_active:
        return False
    person.is_active = True
    person.save(update_fields=["is_active"])
    _members_changed(person)
    audit_record(by=by, action=AuditEntry.Action.REACTIVATE, target=person)
    return True


def _members_changed(person) -> None:
    # Pages open in their private rooms and DMs list members and offer @mentions.
    rooms = Room.objects.filter(
        memberships__user=person, kind__in=[Room.Kind.PRIVATE, Room.Kind.DM]
    )
    for room in rooms:
        access_changed(room, person.pk)


@transaction.atomic
def person_role_set(*, person, role: str, by) -> bool:
    """Make ``person`` a member, an admin or a guest account (whether it changed). Only
    the owner changes an owner; nobody changes their own role."""
    _may_manage(by, person)
    if role not in (Role.MEMBER, Role.ADMIN, Role.GUEST):
        raise ActionRefused("invalid_role", _("A role is member, admin or guest."))
    if role == person_role(person):
        return False
    role_give(person, Role.ADMIN if role == Role.ADMIN else Role.MEMBER)
    if role == Role.GUEST:
        GuestAccount.objects.get_or_create(user=person)
    else:
        GuestAccount.objects.filter(user=person).delete()
    audit_record(by=by, action=AuditEntry.Action.ROLE, target=person, detail=role)
    return True


def role_give(user, role: str) -> None:
    """The owner and admins are Django's superusers and staff, so its admin agrees."""
    user.is_superuser = role == Role.OWNER
    user.is_staff = role in (Role.OWNER, Role.ADMIN)
    user.save(update_fields=["is_superuser", "is_staff"])


def person_role(person) -> str:
    return _role(person, guest=GuestAccount.objects.filter(user=person).exists())


def _role(user, *, guest: bool) -> str:
    if user.is_superuser:
        return Role.OWNER
    if user.is_staff:
        return Role.ADMIN
    return Role.GUEST if guest else Role.MEMBER


@transaction.atomic
def person_mfa_reset(*, person, by) -> bool:
    """Remove ``person``'s second factors (a lost phone or key): they sign in with their
    password and set up a new one (whether they had any)."""
    _may_manage(by, person)
    removed, _ = Authenticator.objects.filter(user=person).delete()
    if removed:
        person_credentials_changed(user_id=person.pk)
        audit_record(by=by, action=AuditEntry.Action.RESET_MFA, target=person)
    return bool(removed)


def sessions_end(person) -> int:
    """Remove the database sessions signed in as ``person`` (how many). Django keeps no
    index of sessions by user, so each live session is read: fine for something as rare
    as a deactivation. Sessions kept elsewhere (signed cookies, a cache) can't be listed;
    they sign no one in anyway, as Django refuses an inactive account's session."""
    ended = []
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=SESSIONS_READ_AT_ONCE):
        if session.get_decoded().get(SESSION_KEY) == str(person.pk):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


def audit_record(*, by, action: str, target, detail: str = "") -> AuditEntry:
    """Write what ``by`` (None: the chat itself) did to ``target``."""
    return AuditEntry.objects.create(
        actor=by,
        actor_name=by.username if by is not None else "(the chat)",
        action=action,
        target=target,
        target_name=target.username,
        detail=detail,
    )


def audit_entries(*, by, limit: int = 200):
    """The latest entries of the audit log, newest first (admins only)."""
    if not is_admin(by):
        raise ActionRefused("forbidden", _("Only admins read the audit log."))
    return list(AuditEntry.objects.all()[:limit])


@dataclass(frozen=True)
class Listed:
    """One person as the People page and ``GET /api/people/`` show them."""

    user: object
    role: str
    second_factor: bool


def people_listed(*, by) -> list[Listed]:
    """Everyone with an account, with role and second factor (admins only)."""
    if not is_admin(by):
        raise ActionRefused("forbidden", _("Only admins manage people."))
    guests = set(GuestAccount.objects.values_list("user_id", flat=True))
    factors = set(Authenticator.objects.values_list("user_id", flat=True))
    listed = []
    for user in get_user_model().objects.order_by("username").select_related("bot", "profile"):
        role = _role(user, guest=user.pk in guests)
        if role == Role.MEMBER and hasattr(user, "bot"):
            role = "bot"
        listed.append(Listed(user, role, user.pk in factors))
    return listed
