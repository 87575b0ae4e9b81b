"""Groups: people an @<name> mention reaches at once. Admins make and change them;
everyone signed in sees them (they are offered in the @ list)."""

import unicodedata

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.rooms import name_problem
from chat.services import ActionRefused
from chat.services.mentions import BROADCAST_WORDS
from people.models import Group

GROUP_NAME_MAX_LENGTH = 50
MEMBERS_MAX = 1000
_GROUP_PUNCTUATION = frozenset("-_.")
GROUP_TAKEN = _("There is a group called “{name}” already.")


def _admin_check(by) -> None:
    if not by.is_staff:
        raise ActionRefused("forbidden", _("Only admins make and change groups."))


def group_name_clean(raw: object, *, renaming: Group | None = None) -> str:
    """A group's name: like a username (letters and digits of any script, "-", "_", "."),
    never @all, @room, @here, an account's username or another group's name."""
    if not isinstance(raw, str):
        raise ActionRefused("invalid_group_name", _('"name" must be a string.'))
    name = unicodedata.normalize("NFC", raw.strip().removeprefix("@"))
    problem = name_problem(
        name, kind=_("Group names"), max_length=GROUP_NAME_MAX_LENGTH,
        punctuation=_GROUP_PUNCTUATION, allowed=_("letters, digits, “-”, “_” and “.”"),
    ) if name else _("Enter a group name.")  # fmt: skip
    if problem:
        raise ActionRefused("invalid_group_name", problem)
    lowered = name.lower()
    if lowered in BROADCAST_WORDS:
        raise ActionRefused(
            "invalid_group_name",
            format_lazy(_("@{word} already reaches a whole room."), word=lowered),
        )
    users = get_user_model().objects.annotate(lowered=Lower("username"))
    if users.filter(lowered=lowered).exists():
        raise ActionRefused(
            "invalid_group_name",
            format_lazy(_("“{name}” is someone's username; @{name} mentions them."), name=name),
        )
    taken = Group.objects.annotate(lowered=Lower("name")).filter(lowered=lowered)
    if renaming is not None:
        taken = taken.exclude(pk=renaming.pk)
    if taken.exists():
        raise ActionRefused("group_taken", format_lazy(GROUP_TAKEN, name=name))
    return name


def _members(usernames: object) -> list:
    if not isinstance(usernames, list) or not all(isinstance(u, str) for u in usernames):
        raise ActionRefused("invalid_members", _('"members" must be a list of usernames.'))
    if len(usernames) > MEMBERS_MAX:
        raise ActionRefused(
            "invalid_members", format_lazy(_("A group has at most {max} people."), max=MEMBERS_MAX)
        )
    wanted = set(usernames)
    found = list(get_user_model().objects.filter(username__in=wanted, is_active=True))
    missing = sorted(wanted - {user.username for user in found})
    if missing:
        raise ActionRefused(
            "unknown_person",
            format_lazy(_("No active account is called {name}."), name=repr(missing[0])),
        )
    return found


def group_find(name: str) -> Group:
    group = Group.objects.annotate(lowered=Lower("name")).filter(lowered=name.lower()).first()
    if group is None:
        raise ActionRefused(
            "unknown_group", format_lazy(_("There is no group called {name}."), name=repr(name))
        )
    return group


def group_create(*, name: object, members: object, by) -> Group:
    _admin_check(by)
    clean = group_name_clean(name)
    people = _members(members)
    try:
        with transaction.atomic():
            group = Group.objects.create(name=clean)
            group.members.set(people)
    except IntegrityError:  # made at the same moment by another admin
        raise ActionRefused("group_taken", format_lazy(GROUP_TAKEN, name=clean)) from None
    return group


def group_change(group: Group, changes: dict, *, by) -> Group:
    _admin_check(by)
    unknown = sorted(set(changes) - {"name", "members"})
    if unknown:
        raise ActionRefused(
            "invalid_field",
            format_lazy(
                _("Unknown field {field}; a group has name, members."), field=repr(unknown[0])
            ),
        )
    with transaction.atomic():
        if "name" in changes:
            group.name = group_name_clean(changes["name"], renaming=group)
            group.save(update_fields=["name"])
        if "members" in changes:
            group.members.set(_members(changes["members"]))
    return group


def group_delete(group: Group, *, by) -> None:
    _admin_check(by)
    group.delete()


def groups_listed() -> list[tuple[Group, list[str]]]:
    """Every group with its active members' usernames (two queries)."""
    groups = Group.objects.prefetch_related("members")
    return [
        (group, sorted(m.username for m in group.members.all() if m.is_active)) for group in groups
    ]


def group_named(name: str) -> bool:
    """Whether a group has this name, whatever the case."""
    return Group.objects.annotate(lowered=Lower("name")).filter(lowered=name.lower()).exists()
