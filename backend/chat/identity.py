"""Who is talking: a signed-in user, or a guest known by their session.

The name always comes from the server side (the user or the session), never
from a frame the client sends.
"""

import re
import secrets
import unicodedata
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user, get_user_model
from django.http.cookie import parse_cookie

from chat.rooms import name_problem

GUEST_ID_SESSION_KEY = "chat_guest_id"
GUEST_NAME_SESSION_KEY = "chat_guest_name"
DISPLAY_NAME_MAX_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Identity:
    key: str  # "user:<id>" or "guest:<random id>": one person, whatever the tab
    name: str
    is_guest: bool
    user_id: int | None = None
    is_staff: bool = False


class InvalidDisplayName(ValueError):
    """A display name a guest can't take; ``str(error)`` says why."""


def _new_guest_name() -> str:
    return f"guest-{secrets.randbelow(10_000):04d}"


def identity_of(user, session) -> Identity:
    """The identity of a request or WebSocket scope; gives a new guest a name in ``session``."""
    if user is not None and user.is_authenticated:
        return Identity(f"user:{user.pk}", user.get_username(), False, user.pk, user.is_staff)
    if GUEST_ID_SESSION_KEY not in session:
        session[GUEST_ID_SESSION_KEY] = secrets.token_hex(8)
        session[GUEST_NAME_SESSION_KEY] = _new_guest_name()
    return Identity(f"guest:{session[GUEST_ID_SESSION_KEY]}", session[GUEST_NAME_SESSION_KEY], True)


def identity_of_handshake(headers: list[tuple[bytes, bytes]]) -> Identity:
    """The identity behind a WebSocket handshake, from its session cookie.

    Read once, when the connection opens, instead of through Channels' session
    and auth middleware, which keep the session, the user and copies of the
    scope for the connection's whole life. A new guest's session is saved, so
    their other tabs share the name.
    """
    cookies = parse_cookie(
        b"; ".join(value for name, value in headers if name == b"cookie").decode("latin-1")
    )
    session = import_module(settings.SESSION_ENGINE).SessionStore(
        cookies.get(settings.SESSION_COOKIE_NAME)
    )
    identity = identity_of(get_user(SimpleNamespace(session=session)), session)
    if session.modified and session.session_key:
        session.save()
    return identity


_NAME_PUNCTUATION = frozenset("-_. ")


def display_name_clean(raw: str) -> str:
    """Validate a guest's chosen name, or raise InvalidDisplayName.

    1–32 letters or digits of any script, spaces, "-", "_" and "."; it can't be
    the username of a registered user (in any letter case).
    """
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw)).strip()
    if not name:
        raise InvalidDisplayName("Enter a name.")
    problem = name_problem(
        name, kind="Names", max_length=DISPLAY_NAME_MAX_LENGTH, punctuation=_NAME_PUNCTUATION,
        allowed="letters, digits, spaces, “-”, “_” and “.”",
    )  # fmt: skip
    if problem:
        raise InvalidDisplayName(problem)
    if get_user_model().objects.filter(username__iexact=name).exists():
        raise InvalidDisplayName(
            f"“{name}” belongs to a registered user; pick another name or log in."
        )
    return name
