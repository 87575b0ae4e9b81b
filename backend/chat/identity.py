"""Who is talking: a signed-in user, or a guest known by their session.

The name always comes from the server side (the user or the session), never
from a frame the client sends.
"""

import contextlib
import functools
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module
from types import SimpleNamespace

from confusable_homoglyphs import confusables
from django.conf import settings
from django.contrib.auth import get_user, get_user_model, load_backend
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http.cookie import parse_cookie
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.rooms import is_default_ignorable, name_problem
from people.languages import profile_language

GUEST_ID_SESSION_KEY = "chat_guest_id"
GUEST_NAME_SESSION_KEY = "chat_guest_name"
GUEST_CLAIMED_SESSION_KEY = "chat_guest_claimed"  # when the name was last claimed (a timestamp)
DISPLAY_NAME_MAX_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Face:
    """What a signed-up person shows of themselves besides their username (their
    people.Profile, read with their account): it rides in presence frames and messages."""

    display_name: str = ""
    status_emoji: str = ""
    status_text: str = ""
    status_expires_at: datetime | None = None
    dnd_until: datetime | None = None

    def public(self, now: datetime | None = None) -> dict:
        """The set parts as JSON: ``name``, ``status`` {emoji, text, expires_at}, and
        ``dnd_until``; a status or Do Not Disturb that has ended left out."""
        if self is NO_FACE:
            return {}
        now = now or timezone.now()
        shown: dict = {}
        if self.display_name:
            shown["name"] = self.display_name
        if (self.status_emoji or self.status_text) and (
            self.status_expires_at is None or self.status_expires_at > now
        ):
            shown["status"] = {
                "emoji": self.status_emoji, "text": self.status_text,
                "expires_at": _iso(self.status_expires_at),
            }  # fmt: skip
        if self.dnd_until is not None and self.dnd_until > now:
            shown["dnd_until"] = _iso(self.dnd_until)
        return shown


NO_FACE = Face()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def face_of(user) -> Face:
    """The face of ``user`` from their profile (no query when it was read with them, as
    ``select_related("profile")`` does; one when it wasn't)."""
    try:
        profile = user.profile
    except ObjectDoesNotExist:
        return NO_FACE
    return Face(
        profile.display_name, profile.status_emoji, profile.status_text,
        profile.status_expires_at, profile.dnd_until,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Identity:
    key: str  # "user:<id>" or "guest:<random id>": one person, whatever the tab
    name: str
    is_guest: bool
    user_id: int | None = None
    is_staff: bool = False
    is_bot: bool = False  # a bot account (integrations.Bot) or a room's webhook
    # A room's webhook: may post in its room, private or not, while it lasts.
    is_webhook: bool = False
    # A guest account (organization.GuestAccount): reads only the rooms it is a member of.
    rooms_only: bool = False
    face: Face = NO_FACE  # a signed-up person's display name, status and Do Not Disturb
    # The language their profile names (people.languages), read with their face; "": none.
    language: str = ""


class InvalidDisplayName(ValueError):
    """A display name a guest can't take; ``detail`` says why (translated when shown:
    ``str(error)`` is it in the active language)."""

    @property
    def detail(self):
        return self.args[0]


def _new_guest_name() -> str:
    return f"guest-{secrets.randbelow(10_000):04d}"


def identity_of(user, session, *, create: bool = True) -> Identity | None:
    """The identity of a request or WebSocket scope; gives a new guest a name in ``session``
    (with ``create``), else None for a visitor who is not a guest yet."""
    if user is not None and user.is_authenticated:
        return Identity(
            f"user:{user.pk}", user.get_username(), False, user.pk, user.is_staff,
            is_bot=getattr(user, "is_bot", False),  # set by integrations.tokens
            face=face_of(user), language=profile_language(user),
        )  # fmt: skip
    if GUEST_ID_SESSION_KEY not in session:
        if not create:
            return None
        session[GUEST_ID_SESSION_KEY] = secrets.token_hex(8)
        session[GUEST_NAME_SESSION_KEY] = _new_guest_name()
    return Identity(f"guest:{session[GUEST_ID_SESSION_KEY]}", session[GUEST_NAME_SESSION_KEY], True)


# A guest's claim on their name is renewed when they come back after this long (the page
# asks for it, over HTTP, before it connects): a claim lasts as long as a session.
GUEST_CLAIM_RENEWED_AFTER = timedelta(days=1)


def guest_name_keep(identity: Identity, session) -> Identity:
    """``identity`` with a name claimed for it, as a guest who connects is seen by others.

    Called over HTTP when the room page makes the visitor a guest, never in a WebSocket
    handshake (which writes nothing): a guest's given name is claimed then, and renewed
    at most once a day; if another guest took a name that looks the same meanwhile, the
    guest is given a new one. A name the guest chose was claimed when they chose it.
    """
    from chat.models import GuestName  # models import this module's helpers

    now = timezone.now()
    claimed = session.get(GUEST_CLAIMED_SESSION_KEY)
    renew_after = GUEST_CLAIM_RENEWED_AFTER.total_seconds()
    if claimed is not None and now.timestamp() - claimed < renew_after:
        return identity
    session[GUEST_CLAIMED_SESSION_KEY] = now.timestamp()
    try:
        guest_name_claim(identity.key, identity.name)
    except GuestNameTaken:
        if GuestName.objects.filter(guest_key=identity.key, name=identity.name).exists():
            return identity  # claimed by this guest's other tab at the same moment
        name = _new_guest_name_claimed(identity.key)
        session[GUEST_NAME_SESSION_KEY] = name
        return Identity(identity.key, name, True)
    return identity


def _new_guest_name_claimed(guest_key: str) -> str:
    """A random guest name no other active guest has, claimed for ``guest_key``."""
    for _attempt in range(10):
        name = _new_guest_name()
        try:
            guest_name_claim(guest_key, name)
        except InvalidDisplayName:
            continue
        return name
    return name  # 10,000 names nearly all in use: share one rather than fail the visit


# Confusable skeletons (Unicode TR39, section 4), from the confusables data that
# confusable_homoglyphs ships. It lists, for each string, the strings that look like it,
# in both directions; each group of look-alikes has one prototype, which every other
# member maps to in Unicode's confusables.txt: the group's only string longer than one
# character if there is one (sources are single characters), else the member the others
# are all listed under.
_BIDI_MARKS = "\u200e\u200f"


@functools.cache
def _prototypes() -> dict[str, str]:
    data = confusables.confusables_data
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    links: dict[str, set[str]] = {}
    for key, homoglyphs in data.items():
        key = key.strip(_BIDI_MARKS)
        for homoglyph in homoglyphs:
            other = homoglyph["c"].strip(_BIDI_MARKS)
            if other and other != key:
                links.setdefault(key, set()).add(other)
                links.setdefault(other, set()).add(key)
                parent[find(key)] = find(other)
    groups: dict[str, list[str]] = {}
    for item in links:
        groups.setdefault(find(item), []).append(item)
    prototypes = {}
    for members in groups.values():
        prototype = min(members, key=lambda m: (len(m) == 1, -len(links[m]), [ord(c) for c in m]))
        for member in members:
            if len(member) == 1 and member != prototype:
                prototypes[member] = prototype
    return prototypes


def name_skeletons(name: str) -> frozenset[str]:
    """What ``name`` looks like, for comparing names: two names that share a skeleton can
    be mistaken for each other ("alice", "ＡＬＩＣＥ", "аlice" with a Cyrillic а, "alice"
    with an invisible U+034F, "aIice" with a capital I).

    Without default-ignorable characters and NFKC, then TR39's skeleton (NFD, each
    character replaced by its confusables prototype, NFD again) of the case-folded name;
    and, since "I" looks like "l" but "i" doesn't, the same of the skeleton of the name as
    written.
    """
    return frozenset(name_skeleton_pair(name))


def name_skeleton_pair(name: str) -> tuple[str, str]:
    """``name_skeletons``: the case-folded name's, then the name as written's."""
    text = unicodedata.normalize("NFKC", "".join(c for c in name if not is_default_ignorable(c)))
    return _tr39_skeleton(text.casefold()), _tr39_skeleton(_tr39_skeleton(text).casefold())


def _tr39_skeleton(text: str) -> str:
    prototypes = _prototypes()
    text = unicodedata.normalize("NFD", text)
    text = unicodedata.normalize("NFD", "".join(prototypes.get(c, c) for c in text))
    return "".join(c for c in text if not is_default_ignorable(c))


class GuestNameTaken(InvalidDisplayName):
    """Another active guest uses a name that looks the same."""


# Claims older than a session are deleted at most this often per process (they no
# longer count either way): a burst of new guests doesn't rescan the table each time.
EXPIRED_CLAIMS_DELETED_EVERY = 60.0
_expired_deleted_at = [float("-inf")]


def _expired_claims_delete(expired) -> None:
    from chat.models import GuestName

    now = time.monotonic()
    if now - _expired_deleted_at[0] >= EXPIRED_CLAIMS_DELETED_EVERY:
        _expired_deleted_at[0] = now
        GuestName.objects.filter(claimed__lt=expired).delete()


def guest_name_claim(guest_key: str, name: str) -> None:
    """Record that guest ``guest_key`` goes by ``name``, or raise GuestNameTaken if another
    guest claimed a name that looks the same less than a session's lifetime ago."""
    from chat.models import GuestName  # models import this module's helpers

    skeleton, skeleton_cased = name_skeleton_pair(name)
    keys = {skeleton, skeleton_cased}
    now = timezone.now()
    expired = now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    taken = GuestNameTaken(
        format_lazy(
            _("Another guest is using “{name}” or a name that looks the same; pick another."),
            name=name,
        )
    )
    alike = GuestName.objects.exclude(guest_key=guest_key).filter(
        Q(skeleton__in=keys) | Q(skeleton_cased__in=keys)
    )
    try:
        with transaction.atomic():
            _expired_claims_delete(expired)
            alike.filter(claimed__lt=expired).delete()  # they'd stand in the way
            if alike.exists():
                raise taken
            GuestName.objects.update_or_create(
                guest_key=guest_key,
                defaults={
                    "skeleton": skeleton,
                    "skeleton_cased": skeleton_cased,
                    "name": name,
                    "claimed": now,
                },
            )
    except IntegrityError:  # claimed by another guest at the same moment
        raise taken from None


def handshake_session_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The session key in a WebSocket handshake's cookie, if any."""
    cookies = parse_cookie(
        b"; ".join(value for name, value in headers if name == b"cookie").decode("latin-1")
    )
    return cookies.get(settings.SESSION_COOKIE_NAME) or None


def identity_of_session(session_key: str | None) -> Identity | None:
    """The person of a session (a user, or a guest the room page made); None for none.

    Read once, when a connection opens, instead of through Channels' session and auth
    middleware, which keep the session, the user and copies of the scope for the
    connection's whole life. Writes nothing.
    """
    if session_key is None:
        return None
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return identity_of(get_user(SimpleNamespace(session=session)), session, create=False)


def identities_of_sessions(session_keys: list[str]) -> list[Identity | None]:
    """``identity_of_session`` of each key, read together: one query for the sessions
    and one for their users, however many keys (a restart's reconnecting tabs arrive
    together). A session this can't judge as ``django.contrib.auth.get_user`` would
    (another session engine or authentication backend, a password hash only an old
    secret key verifies) is read alone, as ``identity_of_session`` does. Writes
    nothing."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if store is not DatabaseSessionStore:
        return [identity_of_session(key) for key in session_keys]
    rows = store.get_model_class().objects.filter(
        session_key__in=set(session_keys), expire_date__gt=timezone.now()
    )
    decoded = {row.session_key: store().decode(row.session_data) for row in rows}
    user_model = get_user_model()
    user_ids = {}
    for key, data in decoded.items():
        if SESSION_KEY in data:
            with contextlib.suppress(ValidationError):
                user_ids[key] = user_model._meta.pk.to_python(data[SESSION_KEY])
    users = user_model._default_manager.select_related("profile").in_bulk(set(user_ids.values()))
    found = []
    for key in session_keys:
        data = decoded.get(key)
        if data is None:
            found.append(None)
            continue
        if key not in user_ids:  # a guest, or no one
            found.append(identity_of(None, data, create=False))
            continue
        backend_path = data.get(BACKEND_SESSION_KEY)
        allowed = backend_path in settings.AUTHENTICATION_BACKENDS
        backend = load_backend(backend_path) if allowed else None
        user = users.get(user_ids[key])
        hashed = data.get(HASH_SESSION_KEY)
        if backend is None or user is None:
            found.append(None)
        elif type(backend).get_user is not ModelBackend.get_user:
            found.append(identity_of_session(key))
        elif not backend.user_can_authenticate(user):
            found.append(None)
        elif hashed and constant_time_compare(hashed, user.get_session_auth_hash()):
            found.append(identity_of(user, data, create=False))
        elif hashed and any(
            constant_time_compare(hashed, old) for old in user.get_session_auth_fallback_hash()
        ):
            found.append(identity_of_session(key))  # signed with an old secret key
        else:
            found.append(None)  # the password changed since (or no hash at all)
    return found


def visitor_identity() -> Identity:
    """A handshake without a session of a person (a script, or a page whose request to
    become a guest failed): a guest for this connection alone, under a name no chosen or
    claimed name can be (``#`` is not allowed in them). A browser's room page makes its
    visitor a guest over HTTP before it connects (``guest_name_keep``)."""
    guest_id = secrets.token_hex(8)
    return Identity(f"guest:{guest_id}", f"guest-#{guest_id[:6]}", True)


_NAME_PUNCTUATION = frozenset("-_. ")


USERNAME_LOOKS_TAKEN = _(
    "“{name}” looks the same as the name of an existing account; pick another."
)


def username_alike(name: str, *, besides: int | None = None) -> str | None:
    """The username of an account that looks like ``name`` (they share a confusable
    skeleton: "ＡＬＩＣＥ", "аlice" with a Cyrillic "а" and "alice" look alike), if any:
    one indexed lookup of the skeletons kept with each account (``UsernameLook``).
    ``besides``: the id of an account left out (the one being renamed)."""
    from chat.models import UsernameLook  # models import this module's helpers

    keys = name_skeletons(name)
    looks = UsernameLook.objects.filter(Q(skeleton__in=keys) | Q(skeleton_cased__in=keys))
    if besides is not None:
        looks = looks.exclude(user_id=besides)
    return looks.values_list("user__username", flat=True).first()


def username_look_keep(user) -> None:
    """Keep the skeletons of ``user``'s username (after it was made or changed)."""
    from chat.models import UsernameLook

    skeleton, skeleton_cased = name_skeleton_pair(user.username)
    UsernameLook.objects.update_or_create(
        user_id=user.pk, defaults={"skeleton": skeleton, "skeleton_cased": skeleton_cased}
    )


def display_name_clean(raw: str, *, claim_for: str | None = None) -> str:
    """Validate a guest's chosen name, or raise InvalidDisplayName.

    1–32 letters or digits of any script, spaces, "-", "_" and "."; no invisible
    characters, and at least one letter or digit. It can't look like the username
    of a registered user (same confusable skeleton: "ＡＬＩＣＥ" is "alice"), nor, with
    ``claim_for`` (the guest's identity key), like another active guest's name; the
    name is then claimed for that guest.
    """
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw)).strip()
    if not name:
        raise InvalidDisplayName(_("Enter a name."))
    problem = name_problem(
        name, kind=_("Names"), max_length=DISPLAY_NAME_MAX_LENGTH,
        punctuation=_NAME_PUNCTUATION, allowed=_("letters, digits, spaces, “-”, “_” and “.”"),
    )  # fmt: skip
    if problem:
        raise InvalidDisplayName(problem)
    if username_alike(name) is not None:
        raise InvalidDisplayName(
            format_lazy(
                _(
                    "“{name}” belongs to a registered user (or looks like their name); "
                    "pick another name or log in."
                ),
                name=name,
            )
        )
    if claim_for is not None:
        guest_name_claim(claim_for, name)
    return name
