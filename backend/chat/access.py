"""Who may read a room: anyone a public room (or a free name, which becomes a public
room with its first message); only its members a private room or a direct message.

Checked once per page view, API request and connection, and again for the open
connections of a room when its members change; never per delivered message.
Staff have no way around it here: they manage members in the admin.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chat.models import Membership, Room
from organization.models import GuestAccount

# Direct messages are named after their two people's ids; nobody else may take such a name.
_DM_NAME = re.compile(r"dm-[0-9]+-[0-9]+")
# The same whether the DM exists or not, so the answer doesn't tell who talks to whom.
_DM_REFUSAL = _("Direct messages can be read only by their two people.")


class Forbidden(Exception):
    """The person may not read the room; ``detail`` says why, for people (translated when
    shown: ``str(error)`` is it in the active language)."""

    code = "forbidden"

    @property
    def detail(self):
        return self.args[0]


ROOM_GONE = _("This room was renamed or deleted; pick it again from the list of rooms.")
ROOM_ARCHIVED = _("This room is archived: it can be read, not changed.")


class RoomGone(Forbidden):
    """The room a connection was opened in no longer has its name (renamed or deleted);
    a free name in its place is not the same room."""

    code = "room_gone"


class SignInRequired(Forbidden):
    """Visitors may not read rooms here (CHAT_GUESTS is off): they sign in first."""

    code = "sign_in_required"


SIGN_IN_REQUIRED = _("Sign in to read the rooms of this chat.")


@dataclass(frozen=True, slots=True)
class RoomAccess:
    """What one person has in one room they may read."""

    room: Room | None  # None: a free name
    membership: Membership | None

    @property
    def member(self) -> bool:
        return self.membership is not None

    @property
    def owner(self) -> bool:
        return self.membership is not None and self.membership.is_owner


def dm_name(first_user_id: int, second_user_id: int) -> str:
    """The name of the direct-message room of two people, the same whichever asks."""
    low, high = sorted((first_user_id, second_user_id))
    return f"dm-{low}-{high}"


def name_reserved(room_name: str) -> bool:
    """Whether the name is kept for direct messages."""
    return _DM_NAME.fullmatch(room_name) is not None


def room_access(*, room_name: str, user_id: int | None) -> RoomAccess:
    """The access of the person (``user_id``; None for guests and visitors) to a room;
    raises Forbidden when they may not read it."""
    room = Room.objects.filter(name=room_name).first()
    membership = None
    if room is not None and user_id:
        membership = Membership.objects.filter(room=room, user_id=user_id).first()
    rooms_only = membership is None and user_id is not None and guest_account(user_id)
    access_decide(
        room_name=room_name, kind=room.kind if room else None,
        member=membership is not None, signed_in=user_id is not None, rooms_only=rooms_only,
    )  # fmt: skip
    return RoomAccess(room, membership)


def guest_account(user_id: int) -> bool:
    """Whether the account is a guest account (reads only the rooms it is a member of)."""
    return GuestAccount.objects.filter(user_id=user_id).exists()


def guest_accounts(user_ids: set[int]) -> set[int]:
    """Those of ``user_ids`` that are guest accounts (one query)."""
    if not user_ids:
        return set()
    return set(GuestAccount.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))


def visitor_check(*, signed_in: bool) -> None:
    """Raise SignInRequired for a visitor (not signed in) when CHAT_GUESTS is off."""
    if not signed_in and not settings.CHAT_GUESTS:
        raise SignInRequired(SIGN_IN_REQUIRED)


GUEST_ACCOUNT_REFUSAL = _("A guest account reads only the rooms it was added to.")


def access_decide(
    *, room_name: str, kind: str | None, member: bool, signed_in: bool, rooms_only: bool = False
) -> None:
    """Raise Forbidden unless a person may read the room named ``room_name``, of ``kind``
    (None: no such room yet) as a member or not: the rule itself, for callers that know
    the facts already (a handshake whose process keeps them). With CHAT_GUESTS off,
    visitors read no room (SignInRequired); a guest account (``rooms_only``) reads only
    the rooms it is a member of."""
    visitor_check(signed_in=signed_in)
    if rooms_only and not member:
        raise Forbidden(GUEST_ACCOUNT_REFUSAL)
    if kind is None:
        if name_reserved(room_name):
            raise Forbidden(_DM_REFUSAL)
        return
    if kind != Room.Kind.PUBLIC and not member:
        if kind == Room.Kind.DM:
            raise Forbidden(_DM_REFUSAL)
        if not signed_in:
            raise Forbidden(_("This room is private: sign in as one of its members to read it."))
        raise Forbidden(_("This room is private: only its members can read it."))
