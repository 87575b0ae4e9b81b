"""People: a guest's new name reaches every tab they have open; a changed account is told
to every server process."""

import hashlib
import logging

from asgiref.sync import async_to_sync
from django.utils import timezone

from chat.identity import (
    GUEST_CLAIMED_SESSION_KEY,
    GUEST_NAME_SESSION_KEY,
    Identity,
    display_name_clean,
)
from chat.protocol import events
from chat.services.broadcast import LAYER_ERRORS, on_commit_send, person_address, send_to

logger = logging.getLogger(__name__)


def guest_rename(*, session, identity: Identity, name: str) -> str:
    """Give a guest a new display name, in every open tab; raises InvalidDisplayName."""
    name = display_name_clean(name)
    session[GUEST_NAME_SESSION_KEY] = name
    session[GUEST_CLAIMED_SESSION_KEY] = timezone.now().timestamp()  # by the form's check
    try:
        async_to_sync(send_to)(
            person_address(identity.key), {"type": events.IDENTITY_CHANGED_TYPE, "name": name}
        )
    except LAYER_ERRORS:
        logger.warning("could not tell open tabs about a new guest name")
    return name


def person_credentials_changed(
    *, user_id: int, ended_session: str | None = None, deactivated: bool = False
) -> None:
    """A person logged out somewhere (``ended_session``: the session's key), or their
    account changed (``deactivated``: it is inactive now): once that is committed, every
    process forgets what it kept of them (chat.realtime.known), and their open
    connections check what signed them in."""
    message = {"type": events.CREDENTIALS_TYPE}
    if ended_session is not None:
        message["session"] = session_digest(ended_session)
    if deactivated:
        message["deactivated"] = True
    on_commit_send(person_address(f"user:{user_id}"), message)


def session_digest(session_key: str) -> str:
    """Names a session in a broadcast without revealing its key."""
    return hashlib.sha256(session_key.encode()).hexdigest()
