"""People's profiles: display name, time zone, about, status and Do Not Disturb, and who
may see them.

A change is announced to the person's open connections, which show it in the
presence of their rooms (chat.realtime.session): once per change, never per message.
"""

import datetime
import re
import unicodedata
import zoneinfo

import emoji
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.identity import face_of
from chat.models import Membership
from chat.protocol import events
from chat.rooms import is_default_ignorable, name_problem
from chat.services import ActionRefused
from chat.services.broadcast import on_commit_send, person_address
from people.languages import language_supported
from people.models import Profile

DISPLAY_NAME_MAX_LENGTH = 50
ABOUT_MAX_LENGTH = 500
STATUS_TEXT_MAX_LENGTH = 100
EMOJI_MAX_LENGTH = 32
# How far ahead a status's end or Do Not Disturb may be set.
AHEAD_MAX = datetime.timedelta(days=366)
# Besides letters, marks, digits and spaces, what a display name may hold.
_DISPLAY_PUNCTUATION = frozenset(" -_.'’()&,")


class ProfileInvalid(ActionRefused):
    """A field of a profile change that can't be taken; the code names the field."""


def profile_get(user) -> Profile:
    """The person's profile (a fresh one, not saved, if they never set anything)."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile(user=user)


def display_name_clean(raw: object) -> str:
    """A display name: 1–50 letters, marks and digits of any script, spaces and a little
    punctuation; nothing invisible, no control or bidi-override characters ("" clears it)."""
    if not isinstance(raw, str):
        raise ProfileInvalid("invalid_display_name", _('"display_name" must be a string.'))
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw)).strip()
    if not name:
        return ""
    problem = name_problem(
        name, kind=_("Display names"), max_length=DISPLAY_NAME_MAX_LENGTH,
        punctuation=_DISPLAY_PUNCTUATION,
        allowed=_("letters, digits, spaces and “-_.'’()&,”"),
    )  # fmt: skip
    if problem:
        raise ProfileInvalid("invalid_display_name", problem)
    return name


def time_zone_clean(raw: object) -> str:
    if raw == "":
        return ""
    if isinstance(raw, str) and raw in zoneinfo.available_timezones():
        return raw
    raise ProfileInvalid(
        "invalid_time_zone",
        _('"time_zone" must be an IANA time zone name such as "Europe/Berlin", or "".'),
    )


def language_clean(raw: object) -> str:
    """One of settings.LANGUAGES, or "" (the browser's language)."""
    if raw == "":
        return ""
    if isinstance(raw, str) and language_supported(raw) == raw:
        return raw
    raise ProfileInvalid(
        "invalid_language",
        format_lazy(
            _('"language" must be one of {languages}, or "".'),
            languages=", ".join(f'"{code}"' for code, _name in settings.LANGUAGES),
        ),
    )


def _text_clean(raw: object, *, field: str, max_length: int) -> str:
    """Text shown as it is (never as HTML): NFC, no control or invisible characters
    except newlines in ``about``, at most ``max_length`` characters."""
    if not isinstance(raw, str):
        raise ProfileInvalid(
            f"invalid_{field}", format_lazy(_('"{field}" must be a string.'), field=field)
        )
    text = unicodedata.normalize("NFC", raw).strip()
    if len(text) > max_length:
        raise ProfileInvalid(
            f"invalid_{field}",
            format_lazy(
                _('"{field}" can have at most {max_length} characters; this one has {length}.'),
                field=field, max_length=max_length, length=len(text),
            ),
        )  # fmt: skip
    for char in text:
        if char == "\n" and field == "about":
            continue
        if unicodedata.category(char) in ("Cc", "Cs") or (
            is_default_ignorable(char) and char != "\u200d"  # joins emoji sequences
        ):
            raise ProfileInvalid(
                f"invalid_{field}",
                format_lazy(
                    _('"{field}" can\'t contain the invisible or control character U+{code}.'),
                    field=field, code=f"{ord(char):04X}",
                ),
            )  # fmt: skip
    return text


def _moment_clean(raw: object, *, field: str, now: datetime.datetime) -> datetime.datetime | None:
    """A moment ahead (ISO 8601 with its offset), or None for ``null``."""
    if raw is None:
        return None
    moment = parse_datetime(raw) if isinstance(raw, str) else None
    if moment is None or moment.tzinfo is None:
        raise ProfileInvalid(
            f"invalid_{field}",
            format_lazy(
                _(
                    '"{field}" must be a date and time with its offset, such as '
                    '"2027-01-04T09:00:00+01:00", or null.'
                ),
                field=field,
            ),
        )
    if not now < moment <= now + AHEAD_MAX:
        raise ProfileInvalid(
            f"invalid_{field}",
            format_lazy(_('"{field}" must be in the future, at most a year ahead.'), field=field),
        )
    return moment


def _status_clean(raw: object, now: datetime.datetime) -> tuple[str, str, datetime.datetime | None]:
    """(emoji, text, expires_at) of a status object; null clears it."""
    if raw is None:
        return "", "", None
    if not isinstance(raw, dict) or set(raw) - {"emoji", "text", "expires_at"}:
        raise ProfileInvalid(
            "invalid_status",
            _('"status" must be {"emoji", "text", "expires_at"} (each optional) or null.'),
        )
    mark = raw.get("emoji") or ""
    if mark and not (
        isinstance(mark, str) and len(mark) <= EMOJI_MAX_LENGTH and emoji.is_emoji(mark)
    ):
        raise ProfileInvalid("invalid_status", _('"status.emoji" must be one emoji, such as "🌴".'))
    text = _text_clean(raw.get("text") or "", field="status", max_length=STATUS_TEXT_MAX_LENGTH)
    expires = _moment_clean(raw.get("expires_at"), field="expires_at", now=now)
    if not mark and not text:
        return "", "", None
    return mark, text, expires


EDITABLE = (
    "display_name", "time_zone", "about", "status", "dnd_until", "email_notify", "language",
)  # fmt: skip


def profile_update(user, changes: dict, *, now: datetime.datetime | None = None) -> Profile:
    """Take ``changes`` (any of ``EDITABLE``), all or none; raises ProfileInvalid naming
    the first field that can't be taken. Open connections hear of it once saved."""
    now = now or timezone.now()
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ProfileInvalid(
            "invalid_field",
            format_lazy(
                _("Unknown field {field}; a profile has {fields}."),
                field=repr(unknown[0]), fields=", ".join(EDITABLE),
            ),
        )  # fmt: skip
    profile = profile_get(user)
    if "display_name" in changes:
        profile.display_name = display_name_clean(changes["display_name"])
    if "time_zone" in changes:
        profile.time_zone = time_zone_clean(changes["time_zone"])
    if "about" in changes:
        profile.about = _text_clean(changes["about"], field="about", max_length=ABOUT_MAX_LENGTH)
    if "status" in changes:
        profile.status_emoji, profile.status_text, profile.status_expires_at = _status_clean(
            changes["status"], now
        )
    if "dnd_until" in changes:
        profile.dnd_until = _moment_clean(changes["dnd_until"], field="dnd_until", now=now)
    if "email_notify" in changes:
        if not isinstance(changes["email_notify"], bool):
            raise ProfileInvalid("invalid_email_notify", _('"email_notify" must be true or false.'))
        profile.email_notify = changes["email_notify"]
    language_was = profile.language
    if "language" in changes:
        profile.language = language_clean(changes["language"])
    with transaction.atomic():
        profile.save()
        profile_announce(user, profile)
        if profile.language != language_was:
            on_commit_send(
                person_address(f"user:{user.pk}"),
                {"type": events.LANGUAGE_CHANGED_TYPE, "language": profile.language},
            )
    return profile


def profile_announce(user, profile: Profile) -> None:
    """Tell the person's open connections (after the commit) how they show now."""
    user.profile = profile
    on_commit_send(
        person_address(f"user:{user.pk}"),
        {"type": events.PROFILE_CHANGED_TYPE, "face": face_of(user).public()},
    )


def people_share_a_room(viewer_id: int, person_id: int) -> bool:
    """Whether two people are members of one room (a DM, a private or a public room)."""
    if viewer_id == person_id:
        return True
    return Membership.objects.filter(
        user_id=person_id,
        room__in=Membership.objects.filter(user_id=viewer_id).values("room"),
    ).exists()


def person_visible(viewer, username: str):
    """The active account ``username`` if ``viewer`` shares a room with them (admins
    see everyone); ``unknown_person`` otherwise, alike for no such person."""
    person = (
        get_user_model()
        .objects.select_related("profile")
        .filter(username=username, is_active=True)
        .first()
    )
    if person is None or not (viewer.is_staff or people_share_a_room(viewer.pk, person.pk)):
        raise ActionRefused(
            "unknown_person",
            format_lazy(_("No one called {name} shares a room with you."), name=repr(username)),
        )
    return person


FOUND_MAX = 20
QUERY_MAX_LENGTH = 50


def people_find(*, viewer, text: str) -> list:
    """Up to ``FOUND_MAX`` active people (bots too) whose username or display name
    contains ``text``, case-insensitively: the username itself first, then those it
    starts, then the rest, each by the name shown; a guest account
    finds only the people it shares a room with."""
    from chat.access import guest_account

    text = unicodedata.normalize("NFC", text).strip()[:QUERY_MAX_LENGTH]
    if not text:
        return []
    found = (
        get_user_model()
        .objects.select_related("profile")
        .filter(is_active=True)
        .filter(Q(username__icontains=text) | Q(profile__display_name__icontains=text))
    )
    if guest_account(viewer.pk):
        rooms = Membership.objects.filter(user_id=viewer.pk).values("room")
        found = found.filter(memberships__room__in=rooms).distinct()
    key = text.casefold()

    def rank(person) -> tuple:
        shown = profile_get(person).display_name.casefold()
        starts = person.username.casefold().startswith(key) or shown.startswith(key)
        exact = person.username.casefold() == key
        return (not exact, not starts, shown or person.username.casefold())

    return sorted(found.order_by("username")[: FOUND_MAX * 5], key=rank)[:FOUND_MAX]
