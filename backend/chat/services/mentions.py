"""Who messages @mention: the names chat.mentions finds, among the people who may read
the room.

Signed-up people are mentioned by username when they are members of the room
(or, in a public room, present in it); in a public room the people present,
guests too, by the name they show. So a mention (and the push it causes)
reaches only people who keep the room or are in it, not any account. Only
texts with an "@" cost anything, and what one batch may look up is bounded.
"""

import re
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower

from chat.mentions import mentions_find, name_key
from chat.models import Membership, Room
from chat.rooms import public_person_id

# What may follow an "@" in a username (Django's usernames: letters, digits, @.+-_).
_USERNAME_AFTER_AT = re.compile(r"@([\w.@+-]+)")
USERNAME_MAX_LENGTH = 150  # Django's
# Names one batch looks up at most (a text of "@a-a-a-…" would make thousands).
LOOKUPS_MAX = 100


@dataclass(frozen=True, slots=True)
class Mentioned:
    person_id: str  # public id, for the page's highlight
    user_id: int | None  # for the mention count; None for a guest


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
    accounts = list(
        get_user_model()
        .objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=wanted, is_active=True)
        .values_list("pk", "username", "lowered")
    ) if wanted else []  # fmt: skip
    members = set(
        Membership.objects.filter(
            room_id__in=names, user_id__in=[pk for pk, _, _ in accounts]
        ).values_list("room_id", "user_id")
    ) if accounts else set()  # fmt: skip
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
        by_key = {name_key(name): mentioned for name, mentioned in people.items()}
        resolved.append(
            [
                [by_key[name_key(name)] for name in mentions_find(text, people)]
                for text in room.texts
            ]
        )
    return resolved
