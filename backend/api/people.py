"""``/api/people/`` and ``/api/audit/``: admins deactivate and reactivate people, and read
what admins did (docs/api.md)."""

from datetime import datetime

from ninja import Router, Schema

from api.auth import signed_in
from api.errors import ErrorOut
from api.me import ProfileOut, profile_out
from organization.services import (
    audit_entries,
    people_listed,
    person_deactivate,
    person_find,
    person_mfa_reset,
    person_reactivate,
    person_role_set,
)
from people.avatars import avatar_url
from people.profiles import people_find, person_visible, profile_get

people_router = Router(tags=["People"])
audit_router = Router(tags=["People"])

REFUSALS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class PersonOut(Schema):
    username: str
    active: bool
    changed: bool  # False when they already were as asked


class ListedOut(Schema):
    username: str
    role: str  # owner, admin, member, guest or bot
    active: bool
    last_seen: datetime | None
    second_factor: bool


class PeopleOut(Schema):
    people: list[ListedOut]


class RoleIn(Schema):
    role: str


class AuditEntryOut(Schema):
    at: datetime
    actor: str
    action: str
    target: str
    detail: str  # what was made or changed, when the action alone doesn't say


class AuditOut(Schema):
    entries: list[AuditEntryOut]


def _person_out(person, changed: bool) -> dict:
    return {"username": person.username, "active": person.is_active, "changed": changed}


class FoundOut(Schema):
    username: str
    display_name: str
    avatar_url: str


class FoundListOut(Schema):
    people: list[FoundOut]


@people_router.get("/", response={200: PeopleOut | FoundListOut, **REFUSALS}, auth=signed_in)
def people_list(request, q: str | None = None):
    """With ``q``: up to 20 active people whose username or display name contains it
    (case-insensitive), for the people picker (a guest account finds only people it
    shares a room with). Without: everyone with an account, by username (admins)."""
    if q is not None:
        return {
            "people": [
                {
                    "username": person.username,
                    "display_name": profile_get(person).display_name,
                    "avatar_url": avatar_url(person, profile_get(person), 64),
                }
                for person in people_find(viewer=request.user, text=q)
            ]
        }
    return {
        "people": [
            {
                "username": listed.user.username,
                "role": listed.role,
                "active": listed.user.is_active,
                "last_seen": listed.user.last_login,
                "second_factor": listed.second_factor,
            }
            for listed in people_listed(by=request.user)
        ]
    }


@people_router.get("/{username}/", response={200: ProfileOut, **REFUSALS}, auth=signed_in)
def person_get(request, username: str):
    """Someone's profile, for anyone who shares a room with them (admins: anyone)."""
    return profile_out(person_visible(request.user, username))


@people_router.post("/{username}/role/", response={200: PersonOut, **REFUSALS}, auth=signed_in)
def person_role_endpoint(request, username: str, body: RoleIn):
    """Make someone a member, an admin or a guest account (admins)."""
    person = person_find(username)
    changed = person_role_set(person=person, role=body.role, by=request.user)
    return _person_out(person, changed)


@people_router.post("/{username}/mfa/reset/", response={200: PersonOut, **REFUSALS},
                    auth=signed_in)  # fmt: skip
def person_mfa_reset_endpoint(request, username: str):
    """Remove someone's second factors, say after a lost phone (admins)."""
    person = person_find(username)
    changed = person_mfa_reset(person=person, by=request.user)
    return _person_out(person, changed)


@people_router.post("/{username}/deactivate/", response={200: PersonOut, **REFUSALS},
                    auth=signed_in)  # fmt: skip
def person_deactivate_endpoint(request, username: str):
    """Deactivate someone (admins): their sockets close, sessions end, tokens stop
    working and push subscriptions go; their messages stay."""
    person = person_find(username)
    changed = person_deactivate(person=person, by=request.user)
    return _person_out(person, changed)


@people_router.post("/{username}/reactivate/", response={200: PersonOut, **REFUSALS},
                    auth=signed_in)  # fmt: skip
def person_reactivate_endpoint(request, username: str):
    """Let a deactivated person sign in again (admins)."""
    person = person_find(username)
    changed = person_reactivate(person=person, by=request.user)
    return _person_out(person, changed)


@audit_router.get("/", response={200: AuditOut, **REFUSALS}, auth=signed_in)
def audit_list(request):
    """The latest 200 things admins did to people, newest first (admins)."""
    entries = audit_entries(by=request.user)
    return {
        "entries": [
            {
                "at": e.at,
                "actor": e.actor_name,
                "action": e.action,
                "target": e.target_name,
                "detail": e.detail,
            }
            for e in entries
        ]
    }
