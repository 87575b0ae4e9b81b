"""Slash commands: ``/name args`` typed in a room runs the command registered as ``name``
(by an admin, ``/api/commands/``) instead of being posted.

The chat POSTs a form, as Mattermost and Slack do — ``command`` ("/name"), ``text`` (the
args), ``room``, ``user_name``, ``user_id`` (the public id), ``token`` (the command's
secret) — signed like outgoing webhooks (``X-Chat-Signature``), and shows the answer's
``text``: to the sender alone (``response_type`` "ephemeral", the default) or posted to
the room as a bot of the command's name ("in_channel"). A text starting with "/" that
names no command is an ordinary message.
"""

import json
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.identity import Identity
from chat.models import Room
from chat.rooms import public_person_id
from chat.services import ActionRefused
from chat.services.storing import muted_refusal
from integrations.models import SlashCommand
from integrations.outgoing import USER_AGENT, event_signature, url_check

TIMEOUT = 7.0  # seconds the command's URL has to answer
ANSWER_MAX_BYTES = 64 * 1024
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
INVOCATION = re.compile(r"/([a-z0-9][a-z0-9_-]{0,31})(?:\s+(.*))?", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    in_channel: bool


def command_parse(text: str) -> tuple[str, str] | None:
    """``(name, args)`` of a text that looks like a command, else None."""
    if not text.startswith("/"):
        return None
    found = INVOCATION.fullmatch(text.strip())
    return (found[1].lower(), (found[2] or "").strip()) if found else None


def command_find(name: str, *, room_name: str, sender_key: str) -> SlashCommand | None:
    """The command named ``name``, if any; raises ActionRefused ``muted`` when the sender
    is muted in the room (a command's answer may be posted there)."""
    command = SlashCommand.objects.filter(name=name).first()
    if command is not None:
        room_id = Room.objects.filter(name=room_name).values_list("pk", flat=True).first()
        if room_id is not None and (refusal := muted_refusal(room_id, sender_key)):
            raise refusal
    return command


def command_create(*, name: str, url: str, description: str = "", by) -> SlashCommand:
    name = name.strip().lstrip("/").lower() if isinstance(name, str) else ""
    if not NAME.fullmatch(name):
        raise ActionRefused(
            "invalid_name",
            _(
                "A command's name is 1 to 32 lowercase letters, digits, “-” or “_”, "
                "starting with a letter or digit."
            ),
        )
    if not isinstance(description, str) or len(description) > 200:
        raise ActionRefused("invalid_description", _("The description is at most 200 characters."))
    command = SlashCommand(name=name, url=url_check(url), description=description,
                           secret=secrets.token_urlsafe(32), created_by=by)  # fmt: skip
    try:
        command.save()
    except IntegrityError:
        raise ActionRefused(
            "name_taken", format_lazy(_("There is a /{name} command already."), name=name)
        ) from None
    return command


def command_identity(command_id: int, name: str) -> Identity:
    """Who a command's "in_channel" answers are from: a bot named after the command."""
    return Identity(f"command:{command_id}", name, False, is_bot=True, is_webhook=True)


async def command_run(command: SlashCommand, *, args: str, room: str, identity: Identity,
                      post) -> Answer:  # fmt: skip
    """Ask the command's URL (``post``: outbound.fetch.Outbound.post) and return its
    answer; raises ActionRefused ``command_failed`` saying what went wrong."""
    form = {
        "command": f"/{command.name}", "text": args, "room": room,
        "user_name": identity.name, "user_id": public_person_id(identity.key),
        "token": command.secret,
    }  # fmt: skip
    body = urlencode(form).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": USER_AGENT,
        "X-Chat-Signature": event_signature(command.secret, body),
    }
    try:
        answer = await post(command.url, body=body, headers=headers, seconds=TIMEOUT,
                            max_bytes=ANSWER_MAX_BYTES)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 (refused, timed out, unreachable)
        raise ActionRefused(
            "command_failed",
            format_lazy(_("/{name} didn't answer: {error}"), name=command.name, error=exc),
        ) from None
    if not 200 <= answer.status < 300:
        raise ActionRefused(
            "command_failed",
            format_lazy(_("/{name} answered {status}."), name=command.name, status=answer.status),
        )
    try:
        data = json.loads(answer.body) if answer.content_type == "application/json" else None
    except ValueError:
        data = None
    if data is None and answer.content_type.startswith("text/"):
        data = {"text": answer.body.decode("utf-8", "replace")}
    if not isinstance(data, dict) or not isinstance(data.get("text", ""), str):
        raise ActionRefused(
            "command_failed",
            format_lazy(
                _('/{name} answered something other than {{"text": ...}}.'), name=command.name
            ),
        )
    text = data.get("text", "").strip()[: settings.CHAT_MESSAGE_MAX_LENGTH]
    return Answer(text, data.get("response_type") == "in_channel")
