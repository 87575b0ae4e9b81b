"""Bot accounts: made by admins (on the People page, over the API or in Django's admin),
signed in only by their API tokens, renamed, and revoked.

The functions here check what is asked, not who asks: the API and the admin let only
admins call them."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.identity import USERNAME_LOOKS_TAKEN, username_alike
from chat.services import ActionRefused
from chat.services.mentions import BROADCAST_WORDS
from chat.services.people import person_credentials_changed
from integrations.models import ApiToken, Bot
from integrations.tokens import token_create
from organization.services import person_deactivate
from people.groups import group_named
from people.profiles import profile_get, profile_update


def bot_username_clean(username: str) -> str:
    """``username`` if a new bot may take it; ActionRefused ``invalid_username`` (empty,
    too long, characters a username can't have) or ``username_taken`` (an account has it
    or a name that looks the same, or it is a word or group that mentions many)."""
    user_model = get_user_model()
    username = username.strip()
    if not username:
        raise ActionRefused("invalid_username", _("Give the bot a username, such as “deploy-bot”."))
    max_length = user_model._meta.get_field(user_model.USERNAME_FIELD).max_length
    if len(username) > max_length:
        raise ActionRefused(
            "invalid_username", _("A username has at most {max} characters.").format(max=max_length)
        )
    try:
        user_model.username_validator(username)
    except ValidationError as exc:
        raise ActionRefused("invalid_username", " ".join(exc.messages)) from None
    if user_model.objects.filter(username__iexact=username).exists():
        raise ActionRefused("username_taken", _("An account with this name already exists."))
    if username_alike(username) is not None:
        raise ActionRefused("username_taken", USERNAME_LOOKS_TAKEN.format(name=username))
    if username.lower() in BROADCAST_WORDS or group_named(username):
        raise ActionRefused(
            "username_taken",
            _("@{name} already mentions many people; pick another.").format(name=username),
        )
    return username


@transaction.atomic
def bot_create(*, username: str, by, name: str = "") -> Bot:
    """A new user ``username`` that is a bot: no password (it can't log in on the page),
    a "bot" badge on its messages, and the display name ``name`` if given. Raises
    ActionRefused for a username or name it can't have (bot_username_clean)."""
    username = bot_username_clean(username)
    user = get_user_model()(username=username)
    user.set_unusable_password()
    user.save()
    if name.strip():
        profile_update(user, {"display_name": name})
    return Bot.objects.create(user=user, created_by=by)


def bot_token_create(*, bot: Bot, by) -> str:
    """A new token of ``bot`` (its secret: shown once, never stored)."""
    _, secret = token_create(user=bot.user, name=f"made by {by.get_username()}")
    return secret


def bots_active():
    """The bots whose accounts are active, by username, with who made them."""
    return Bot.objects.filter(user__is_active=True).select_related(
        "user", "user__profile", "created_by"
    )


def bot_find(bot_id: int) -> Bot:
    """The bot ``bot_id`` (active or not); ActionRefused ``unknown_bot``."""
    bot = Bot.objects.select_related("user", "created_by").filter(pk=bot_id).first()
    if bot is None:
        raise ActionRefused("unknown_bot", _("No bot has this id."))
    return bot


def bot_rename(*, bot: Bot, name: str) -> Bot:
    """Show ``bot``'s messages from now on under the display name ``name`` ("": its
    username); raises ActionRefused ``invalid_display_name``."""
    profile_update(bot.user, {"display_name": name})
    return bot


@transaction.atomic
def bot_revoke(*, bot: Bot, by) -> bool:
    """Deactivate ``bot``'s account and revoke its tokens: its connections close and
    its next request is refused (whether anything changed)."""
    revoked = ApiToken.objects.filter(user=bot.user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        person_credentials_changed(user_id=bot.user.pk)
    deactivated = person_deactivate(person=bot.user, by=by)
    return bool(revoked) or deactivated


def bot_display_name(bot: Bot) -> str:
    return profile_get(bot.user).display_name
