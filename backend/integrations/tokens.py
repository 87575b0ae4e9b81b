"""Personal API tokens: made, found, revoked.

A token is ``chat_`` and 43 random URL-safe characters; the prefix lets secret
scanners spot one pasted where it shouldn't be. Only its SHA-256 is stored.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.identity import Identity, identity_of
from chat.services import ActionRefused
from chat.services.people import person_credentials_changed
from integrations.models import ApiToken

TOKEN_PREFIX = "chat_"
_TOKEN_SHAPE = re.compile(r"chat_[A-Za-z0-9_-]{43}")
NAME_MAX_LENGTH = 100
# Last-used times are kept to the minute: one write per token a minute at most.
LAST_USED_EVERY = timedelta(minutes=1)


class InvalidToken(Exception):
    """A token that signs no one in; ``detail`` says why, for people (translated when
    shown: ``str(error)`` is it in the active language)."""

    @property
    def detail(self):
        return self.args[0]


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token of ``user``; returns it and its secret (shown once, never stored)."""
    name = " ".join(name.split())
    if not name:
        raise ActionRefused("invalid_name", _("Give the token a name, such as “deploy script”."))
    if len(name) > NAME_MAX_LENGTH:
        raise ActionRefused(
            "invalid_name",
            format_lazy(_("A token's name has at most {max} characters."), max=NAME_MAX_LENGTH),
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, token_hash=secret_hash(secret), prefix=secret[:12]
    )
    return token, secret


def token_revoke(*, user, token_id: int) -> None:
    """Revoke one of ``user``'s tokens (at once: its next request is refused)."""
    revoked = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not revoked and not ApiToken.objects.filter(pk=token_id, user=user).exists():
        raise ActionRefused("unknown_token", _("You have no token with this id."))
    if revoked:
        person_credentials_changed(user_id=user.pk)  # its open connections close


def tokens_active(*, user):
    """``user``'s tokens that aren't revoked, newest first."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def token_user(secret: str):
    """The active user a token signs in, marked as a bot or not (``user.is_bot``), with its
    last use recorded; raises InvalidToken."""
    if not _TOKEN_SHAPE.fullmatch(secret):
        raise InvalidToken(_("This isn't an API token: they look like “chat_” and 43 characters."))
    token = (
        ApiToken.objects.select_related("user", "user__bot", "user__profile")
        .filter(token_hash=secret_hash(secret))
        .first()
    )
    if token is None:
        raise InvalidToken(_("This API token is unknown."))
    if token.revoked_at is not None:
        raise InvalidToken(_("This API token was revoked."))
    if not token.user.is_active:
        raise InvalidToken(_("The account of this API token is disabled."))
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
    user = token.user
    user.is_bot = hasattr(user, "bot")
    return user


def token_identity(secret: str) -> Identity:
    """The chat identity of a token's user (raises InvalidToken)."""
    return identity_of(token_user(secret), {})
