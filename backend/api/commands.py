"""Slash commands, registered by admins under ``/api/commands/`` (docs/api.md; running
them in integrations.commands)."""

from datetime import datetime

from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from api.auth import signed_in
from api.errors import ApiError, ErrorOut
from api.messages import json_object
from integrations.commands import command_create
from integrations.models import SlashCommand
from organization.services import is_admin

router = Router(tags=["commands"])
REFUSALS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class CommandOut(Schema):
    id: int
    name: str
    url: str
    description: str
    created: datetime
    created_by: str | None


class CommandCreated(CommandOut):
    secret: str  # sent with every request as ``token``; shown only here


class CommandsOut(Schema):
    commands: list[CommandOut]


def _shown(command: SlashCommand) -> dict:
    return {
        "id": command.pk, "name": command.name, "url": command.url,
        "description": command.description, "created": command.created,
        "created_by": command.created_by.username if command.created_by else None,
    }  # fmt: skip


def _admin(request) -> None:
    if not is_admin(request.user):
        raise ApiError(403, "forbidden", _("Only admins manage slash commands."))


@router.get("/", response={200: CommandsOut, **REFUSALS}, auth=signed_in)
def commands_list(request):
    """Every command (anyone signed in may see what they can type), without secrets."""
    return {"commands": [_shown(c) for c in SlashCommand.objects.select_related("created_by")]}


@router.post("/", response={201: CommandCreated, **REFUSALS}, auth=signed_in)
def commands_create(request):
    """``{"name", "url", "description"?}``: ``/name`` typed in any room asks ``url``."""
    _admin(request)
    data = json_object(request)
    command = command_create(name=data.get("name"), url=data.get("url"),
                             description=data.get("description", ""), by=request.user)  # fmt: skip
    return Status(201, _shown(command) | {"secret": command.secret})


@router.delete("/{command_id}/", response={204: None, **REFUSALS}, auth=signed_in)
def commands_delete(request, command_id: int):
    _admin(request)
    if not SlashCommand.objects.filter(pk=command_id).delete()[0]:
        raise ApiError(404, "unknown_command", _("No command has this id."))
    return Status(204, None)
