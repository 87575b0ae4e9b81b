"""Who messages @mention: the names chat.mentions finds, among the people who may read
the room.

Signed-up people are mentioned by username when they are members of the room
(or, in a public room, present in it); in a public room the people present,
guests too, by the name they show. So a mention (and the push it causes)
reaches only people who keep the room or are in it, not any account.

``@all`` and ``@room`` reach every member (in a public room, everyone who keeps it
in their sidebar), ``@here`` the people present, and ``@<group>`` each member of
that group (people.Group) who may read the room, never anyone else. Only texts
with an "@" cost anything, and what one batch may look up is bounded.
"""

import re
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower

from chat.mentions import mentions_find, name_key
from chat.models import Membership, Room
from chat.rooms import public_person_id
from people.models import Group

# What may follow an "@" in a username (Django's usernames: letters, digits, @.+-_).
_USERNAME_AFTER_AT = re.compile(r"@([\w.@+-]+)")
USERNAME_MAX_LENGTH = 150  # Django's
# Names one batch looks up at most (a text of "@a-a-a-…" would make thousands).
LOOKUPS_MAX = 100


# The words that reach many at once: every member, or the people present.
EVERYONE = ("all", "room")
HERE = "here"
BROADCAST_WORDS = (*EVERYONE, HERE)
BROADCAST = re.compile(r"(?<![\w@])@(all|room|here)(?![\w@+-]|\.\w)", re.IGNORECASE)


def broadcast_word(text: str) -> str | None:
    """The first of @all, @room or @here in ``text`` (lower case), if any."""
    found = BROADCAST.search(text) if "@" in text else None
    return found.group(1).lower() if found else None


@dataclass(frozen=True, slots=True)
class Mentioned:
    person_id: str  # public id, for the page's highlight; "all" or "here" for everyone
    user_id: int | None  # for the mention count; None for a guest
    listed: bool = True  # whether the message's "mentions" names them (not for @all's)


class RoomTexts(NamedTuple):
    """Texts posted to one room, with what deciding whom they mention needs."""

    room_id: int
    kind: str  # the room's kind, read in the transaction storing them
    texts: list[str]
    present: list[dict]  # the presence list of a public room


def _usernames_after_at(texts: list[str]) -> set[str]:
    """Every username the texts could mention: each run of username characters after an
    "@", and its shorter forms up to each ".", "@", "+" or "-" inside it."""
    found = set()
    for text in texts:
        for run in _USERNAME_AFTER_AT.findall(text):
            run = run[:USERNAME_MAX_LENGTH]
            found.add(run.rstrip(".").lower())
            found.update(run[:cut].lower() for cut, char in enumerate(run) if char in ".@+-")
            if len(found) >= LOOKUPS_MAX:
                return set(sorted(found)[:LOOKUPS_MAX])
    return found


def mentions_resolve(
    *, room_id: int, texts: list[str], present: list[dict]
) -> list[list[Mentioned]]:
    """For each text, who it mentions. ``present``: the presence list of a public room."""
    if not any("@" in text for text in texts):
        return [[] for _ in texts]
    # Read now, not cached: a room made private in the admin mentions members only at once.
    kind = Room.objects.filter(pk=room_id).values_list("kind", flat=True).first()
    return mentions_resolve_rooms([RoomTexts(room_id, kind, texts, present)])[0]


def mentions_resolve_rooms(rooms: list[RoomTexts]) -> list[list[list[Mentioned]]]:
    """For each room, for each of its texts, who it mentions: two queries for all the
    rooms (the accounts named after an "@", then which rooms they are members of)."""
    names = {room.room_id: _usernames_after_at(room.texts) for room in rooms}
    wanted = set().union(*names.values())
    groups = _groups_named(wanted)
    broadcasting = {
        room.room_id for room in rooms if any(broadcast_word(text) for text in room.texts)
    }
    accounts = list(
        get_user_model()
        .objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=wanted, is_active=True)
        .values_list("pk", "username", "lowered")
    ) if wanted else []  # fmt: skip
    grouped = {user_id for members in groups.values() for user_id in members}
    asked = {pk for pk, _, _ in accounts} | grouped
    members = set(
        Membership.objects.filter(room_id__in=names, user_id__in=asked)
        .values_list("room_id", "user_id")
    ) if asked else set()  # fmt: skip
    everyone = _members_of(broadcasting)
    present_ids = _present_accounts([room for room in rooms if room.room_id in broadcasting])
    rooms_only = _guest_accounts(grouped)
    resolved = []
    for room in rooms:
        public = room.kind == Room.Kind.PUBLIC
        people: dict[str, Mentioned] = {}
        for person in room.present if public else ():
            people.setdefault(person["user"], Mentioned(person["id"], None))
        present_users = {p["user"] for p in room.present if not p["guest"]} if public else ()
        for user_id, username, lowered in accounts:
            if lowered not in names[room.room_id]:
                continue
            if (room.room_id, user_id) in members or username in present_users:
                people[username] = Mentioned(public_person_id(f"user:{user_id}"), user_id)
        many: dict[str, list[Mentioned]] = {}  # @all, @here and groups: whom each reaches
        if room.room_id in broadcasting:
            all_of = [Mentioned("all", None)] + [
                Mentioned(public_person_id(f"user:{user_id}"), user_id, listed=False)
                for user_id in everyone.get(room.room_id, ())
            ]
            many.update(dict.fromkeys(EVERYONE, all_of))
            many[HERE] = [Mentioned("here", None)] + [
                Mentioned(
                    person["id"],
                    None if person["guest"] else present_ids.get(person["user"]),
                    listed=False,
                )  # fmt: skip
                for person in room.present
            ]
        for group, group_members in groups.items():
            reached = [
                Mentioned(public_person_id(f"user:{user_id}"), user_id)
                for user_id in group_members
                if (room.room_id, user_id) in members or (public and user_id not in rooms_only)
            ]
            many.setdefault(group, reached)
        names_found = {**people, **dict.fromkeys(many)}
        by_key = {name_key(name): name for name in names_found}
        resolved.append(
            [
                _reached(
                    [by_key[name_key(name)] for name in mentions_find(text, names_found)],
                    people,
                    many,
                )  # fmt: skip
                for text in room.texts
            ]
        )
    return resolved


def _reached(names: list[str], people: dict, many: dict) -> list[Mentioned]:
    """Everyone the names found in one text reach, each once, in order."""
    reached: dict[str, Mentioned] = {}
    for name in names:
        for mentioned in many[name] if name in many else [people[name]]:
            if mentioned.person_id not in reached or mentioned.listed:
                reached[mentioned.person_id] = mentioned
    return list(reached.values())


def _present_accounts(rooms: list[RoomTexts]) -> dict[str, int]:
    """The user ids of the signed-up people present in ``rooms``, by username."""
    usernames = {p["user"] for room in rooms for p in room.present if not p["guest"]}
    if not usernames:
        return {}
    return dict(
        get_user_model()
        .objects.filter(username__in=usernames, is_active=True)
        .values_list("username", "pk")
    )


def _groups_named(wanted: set[str]) -> dict[str, list[int]]:
    """The groups among the names after an "@" (lower case): name -> active members."""
    if not wanted:
        return {}
    found: dict[str, list[int]] = {}
    rows = (
        Group.objects.annotate(lowered=Lower("name"))
        .filter(lowered__in=wanted, members__is_active=True)
        .values_list("name", "members")
    )
    for name, user_id in rows:
        found.setdefault(name, []).append(user_id)
    return found


def _members_of(room_ids: set[int]) -> dict[int, list[int]]:
    """Every active member of each room (one query)."""
    if not room_ids:
        return {}
    found: dict[int, list[int]] = {}
    rows = Membership.objects.filter(room_id__in=room_ids, user__is_active=True)
    for room_id, user_id in rows.values_list("room_id", "user_id"):
        found.setdefault(room_id, []).append(user_id)
    return found


def _guest_accounts(user_ids: set[int]) -> set[int]:
    if not user_ids:
        return set()
    from chat.access import guest_accounts

    return guest_accounts(user_ids)
