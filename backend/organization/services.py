"""Deactivating and reactivating people, and the audit log of it.

Deactivation ends everything that signs the person in or reaches them: their open
connections close (``deactivated``, 4401) once the change commits, their sessions are
removed, their API tokens stop working (tokens only sign in active accounts) and their
Web Push subscriptions are deleted. Their messages stay, under their name.
"""

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from chat.models import Room
from chat.services import ActionRefused
from chat.services.rooms import access_changed
from notifications.models import PushSubscription
from organization.models import AuditEntry

SESSIONS_READ_AT_ONCE = 2000


def is_admin(user) -> bool:
    """Who manages people: staff (Django's admin flag) and the owner (a superuser)."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def person_find(username: str):
    """The account named ``username`` (in any case); ActionRefused ``unknown_person``."""
    person = get_user_model().objects.filter(username__iexact=username).first()
    if person is None:
        raise ActionRefused("unknown_person", f"No one here is called “{username}”.")
    return person


def _may_manage(by, person) -> None:
    if not is_admin(by):
        raise ActionRefused("forbidden", "Only admins manage people.")
    if person.pk == by.pk:
        raise ActionRefused("forbidden", "You can't deactivate or reactivate yourself.")
    if person.is_superuser and not by.is_superuser:
        raise ActionRefused("forbidden", "Only the owner can deactivate or reactivate an owner.")


@transaction.atomic
def person_deactivate(*, person, by) -> bool:
    """Deactivate ``person`` (whether anything changed: False if they already were)."""
    _may_manage(by, person)
    if not person.is_active:
        return False
    person.is_active = False
    person.save(update_fields=["is_active"])  # its notice closes their connections
    account_cut_off(person)
    audit_record(by=by, action=AuditEntry.Action.DEACTIVATE, target=person)
    return True


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
    return AuditEntry.objects.create(
        actor=by,
        actor_name=by.username,
        action=action,
        target=target,
        target_name=target.username,
        detail=detail,
    )


def audit_entries(*, by, limit: int = 200):
    """The latest entries of the audit log, newest first (admins only)."""
    if not is_admin(by):
        raise ActionRefused("forbidden", "Only admins read the audit log.")
    return list(AuditEntry.objects.all()[:limit])


def people_listed(*, by):
    """Everyone with an account, for the People page (admins only)."""
    if not is_admin(by):
        raise ActionRefused("forbidden", "Only admins manage people.")
    return get_user_model().objects.order_by("username").select_related("bot")
