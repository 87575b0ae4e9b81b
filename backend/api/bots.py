"""``/api/bots/``: admins make bot accounts (each with a token, shown once), rename and
revoke them (docs/api.md)."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from api.auth import session_only
from api.errors import ApiError, ErrorOut
from integrations.bots import (
    bot_create,
    bot_display_name,
    bot_find,
    bot_rename,
    bot_revoke,
    bot_token_create,
    bots_active,
)
from organization.services import is_admin

router = Router(tags=["Bots"])

REFUSALS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class BotIn(Schema):
    username: str
    name: str = ""  # the display name its messages show ("": its username)


class BotRenameIn(Schema):
    name: str


class BotOut(Schema):
    id: int
    username: str
    name: str  # its display name, "" for none
    created: datetime
    created_by: str | None


class BotCreated(BotOut):
    token: str  # the only time it is shown


class BotsOut(Schema):
    bots: list[BotOut]


def _bot_out(bot) -> dict:
    return {
        "id": bot.pk,
        "username": bot.user.username,
        "name": bot_display_name(bot),
        "created": bot.created,
        "created_by": bot.created_by.username if bot.created_by else None,
    }


def _admin(request) -> None:
    if not is_admin(request.user):
        raise ApiError(403, "forbidden", _("Only admins manage bots."))


# A browser session only, as for tokens: a token that made bots would hand out tokens
# that outlive its own revocation.
@router.post("/", response={201: BotCreated, **REFUSALS}, auth=session_only)
def bots_create(request, body: BotIn):
    """A new bot account and a token for it: the token is in this answer only."""
    _admin(request)
    with transaction.atomic():
        bot = bot_create(username=body.username, name=body.name, by=request.user)
        token = bot_token_create(bot=bot, by=request.user)
    return Status(201, _bot_out(bot) | {"token": token})


@router.get("/", response={200: BotsOut, **REFUSALS}, auth=session_only)
def bots_list(request):
    """The bots that aren't revoked, by username."""
    _admin(request)
    return {"bots": [_bot_out(bot) for bot in bots_active()]}


@router.patch("/{bot_id}/", response={200: BotOut, **REFUSALS}, auth=session_only)
def bots_rename(request, bot_id: int, body: BotRenameIn):
    """Change the display name its messages show from now on ("": its username)."""
    _admin(request)
    return _bot_out(bot_rename(bot=bot_find(bot_id), name=body.name))


@router.delete("/{bot_id}/", response={204: None, **REFUSALS}, auth=session_only)
def bots_revoke(request, bot_id: int):
    """Deactivate the bot's account and revoke its tokens."""
    _admin(request)
    bot_revoke(bot=bot_find(bot_id), by=request.user)
    return Status(204, None)
