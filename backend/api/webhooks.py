"""A room's incoming webhooks: made, renamed and revoked by its members (or staff)
under ``/api/rooms/<name>/webhooks/``; the secret URL ``/api/hooks/<secret>/`` that
posts ``{"text": ...}`` or Slack's shapes to the room as a bot; and what the card of a
message's bot or webhook shows (docs/api.md)."""

import json
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qs

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from api.auth import signed_in
from api.errors import ApiError, ErrorOut
from api.messages import body_read, json_object, json_parsed, message_of, message_post_now
from api.rooms import REFUSALS, existing_room, router
from chat.models import Membership, Room
from chat.protocol import events
from integrations.selectors import message_integration
from integrations.slack_shapes import webhook_text
from integrations.webhooks import (
    WebhookGone,
    webhook_create,
    webhook_find,
    webhook_identity,
    webhook_rename,
    webhook_revoke,
    webhook_used,
    webhook_wait,
)

# Slack's webhooks also take a form whose ``payload`` field is the JSON.
FORM = "application/x-www-form-urlencoded"
FORM_FIELDS_MAX = 20

hooks_router = Router(tags=["webhooks"])


class WebhookIn(Schema):
    name: str = ""


class WebhookCreated(Schema):
    id: int
    name: str
    url: str  # the only time it is shown


class WebhookOut(Schema):
    id: int
    name: str
    created: datetime
    created_by: str | None
    last_used_at: datetime | None


class WebhooksOut(Schema):
    webhooks: list[WebhookOut]


class WebhookRenameIn(Schema):
    name: str


class IntegrationOut(Schema):
    kind: Literal["bot", "webhook"]
    name: str  # what its messages show now
    username: str | None  # a bot's account
    room: str | None  # a webhook's room
    created_by: str | None
    created: datetime | None
    active: bool  # False once revoked


def _webhook_out(hook) -> dict:
    return {
        "id": hook.pk,
        "name": hook.name,
        "created": hook.created,
        "created_by": hook.created_by.username if hook.created_by else None,
        "last_used_at": hook.last_used_at,
    }


def room_managed(request, name: str) -> Room:
    """The room ``name``, if the requester is one of its members, or staff (who manage
    every room's webhooks, as they do in the admin, without reading the room)."""
    if request.user.is_authenticated and request.user.is_staff:
        room = Room.objects.filter(name=name).first()
        if room is None:
            raise ApiError(404, "unknown_room", _("No room has this name yet."))
        return room
    room = existing_room(request, name)
    if not Membership.objects.filter(room=room, user=request.user).exists():
        raise ApiError(
            403, "forbidden", _("Only this room's members (and staff) manage its webhooks.")
        )
    return room


@router.post("/{name}/webhooks/", response={201: WebhookCreated, **REFUSALS}, auth=signed_in)
def webhooks_create(request, name: str, body: WebhookIn):
    """A webhook posting to the room as a bot named ``name`` (default "webhook")."""
    room = room_managed(request, name)
    hook, secret = webhook_create(room=room, by=request.user, name=body.name)
    url = request.build_absolute_uri(reverse("api:webhook_post", args=[secret]))
    return Status(201, {"id": hook.pk, "name": hook.name, "url": url})


@router.get("/{name}/webhooks/", response={200: WebhooksOut, **REFUSALS}, auth=signed_in)
def webhooks_list(request, name: str):
    """The room's webhooks that aren't revoked, without their URLs."""
    room = room_managed(request, name)
    hooks = room.webhooks.filter(revoked_at__isnull=True).select_related("created_by")
    return {"webhooks": [_webhook_out(hook) for hook in hooks]}


@router.patch("/{name}/webhooks/{webhook_id}/", response={200: WebhookOut, **REFUSALS},
              auth=signed_in)  # fmt: skip
def webhooks_rename(request, name: str, webhook_id: int, body: WebhookRenameIn):
    """Rename a webhook: its next messages show the new name."""
    room = room_managed(request, name)
    return _webhook_out(webhook_rename(room=room, webhook_id=webhook_id, name=body.name))


@router.delete("/{name}/webhooks/{webhook_id}/", response={204: None, **REFUSALS},
               auth=signed_in)  # fmt: skip
def webhooks_revoke(request, name: str, webhook_id: int):
    """Revoke a webhook: its URL answers 410 from then on."""
    webhook_revoke(room=room_managed(request, name), webhook_id=webhook_id)
    return Status(204, None)


@hooks_router.post(
    "/{secret}/",
    response={201: dict, 400: ErrorOut, 404: ErrorOut, 410: ErrorOut, 413: ErrorOut,
              429: ErrorOut, 503: ErrorOut},
    auth=None,
    url_name="webhook_post",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string"},
                            "blocks": {"type": "array", "items": {"type": "object"}},
                        },
                    }
                },
                FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {"payload": {"type": "string"}},
                        "required": ["payload"],
                    }
                },
            },
            "required": True,
        }
    },
)  # fmt: skip
def webhook_post(request, secret: str):
    """Post ``{"text": "..."}`` (Markdown, as in messages) or Slack's ``{"blocks": [...]}``
    to the webhook's room, as JSON or as a form's ``payload`` field."""
    try:
        hook = webhook_find(secret)
    except WebhookGone as exc:
        raise ApiError(exc.status, exc.code, exc.detail) from None
    message = message_of({"message": webhook_text(_hook_body(request))})
    wait = webhook_wait(hook)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            _("Too many messages; try again in {seconds} s.").format(seconds=f"{wait:.1f}"),
            round(wait, 1),
        )
    result = message_post_now(hook.room, webhook_identity(hook), message)
    webhook_used(hook)
    return Status(201, events.message_event(result.message))


def _hook_body(request) -> dict:
    """A webhook's JSON object: the body, or a form's ``payload`` field (a form without
    one may still be JSON sent with a form's type, as ``curl -d`` does)."""
    if request.content_type != FORM:
        return json_object(request)
    body = body_read(request)
    if body.lstrip().startswith(b"{"):
        return json_parsed(body)
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=FORM_FIELDS_MAX)
    except (UnicodeDecodeError, ValueError):
        fields = {}
    if "payload" not in fields:
        raise ApiError(
            400, "missing_payload",
            _('A form body carries the message as JSON in its "payload" field, as in '
              'payload={"text": "deploy done"}.'),
        )  # fmt: skip
    try:
        data = json.loads(fields["payload"][0])
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", _('The form\'s "payload" is not valid JSON.')) from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", _('The form\'s "payload" must be a JSON object.'))
    return data


@router.get("/{name}/messages/{seq}/integration/", response={200: IntegrationOut, **REFUSALS},
            auth=None)  # fmt: skip
def message_integration_get(request, name: str, seq: int):
    """The bot or webhook that posted message ``seq``, for its card (whoever may read the
    room); 400 ``not_an_integration`` for a person's message."""
    return message_integration(room=existing_room(request, name), seq=seq)
