"""A room's incoming webhooks: made and revoked by its members (or staff) under
``/api/rooms/<name>/webhooks/``, and the secret URL ``/api/hooks/<secret>/`` that
posts ``{"text": ...}`` to the room as a bot (docs/api.md)."""

from datetime import datetime

from django.urls import reverse
from ninja import Router, Schema, Status

from api.auth import signed_in
from api.errors import ApiError, ErrorOut
from api.messages import json_object, message_of, message_post_now
from api.rooms import REFUSALS, existing_room, router
from chat.models import Membership, Room
from chat.protocol import events
from integrations.webhooks import (
    WebhookGone,
    webhook_create,
    webhook_find,
    webhook_identity,
    webhook_revoke,
    webhook_used,
    webhook_wait,
)

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


def _managed_room(request, name: str) -> Room:
    """The room ``name``, if the requester is one of its members, or staff (who manage
    every room's webhooks, as they do in the admin, without reading the room)."""
    if request.user.is_authenticated and request.user.is_staff:
        room = Room.objects.filter(name=name).first()
        if room is None:
            raise ApiError(404, "unknown_room", "No room has this name yet.")
        return room
    room = existing_room(request, name)
    if not Membership.objects.filter(room=room, user=request.user).exists():
        raise ApiError(
            403, "forbidden", "Only this room's members (and staff) manage its webhooks."
        )
    return room


@router.post("/{name}/webhooks/", response={201: WebhookCreated, **REFUSALS}, auth=signed_in)
def webhooks_create(request, name: str, body: WebhookIn):
    """A webhook posting to the room as a bot named ``name`` (default "webhook")."""
    room = _managed_room(request, name)
    hook, secret = webhook_create(room=room, by=request.user, name=body.name)
    url = request.build_absolute_uri(reverse("api:webhook_post", args=[secret]))
    return Status(201, {"id": hook.pk, "name": hook.name, "url": url})


@router.get("/{name}/webhooks/", response={200: WebhooksOut, **REFUSALS}, auth=signed_in)
def webhooks_list(request, name: str):
    """The room's webhooks that aren't revoked, without their URLs."""
    room = _managed_room(request, name)
    hooks = room.webhooks.filter(revoked_at__isnull=True).select_related("created_by")
    return {
        "webhooks": [
            {
                "id": hook.pk,
                "name": hook.name,
                "created": hook.created,
                "created_by": hook.created_by.username if hook.created_by else None,
                "last_used_at": hook.last_used_at,
            }
            for hook in hooks
        ]
    }


@router.delete("/{name}/webhooks/{webhook_id}/", response={204: None, **REFUSALS},
               auth=signed_in)  # fmt: skip
def webhooks_revoke(request, name: str, webhook_id: int):
    """Revoke a webhook: its URL answers 410 from then on."""
    webhook_revoke(room=_managed_room(request, name), webhook_id=webhook_id)
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
                        "properties": {"text": {"type": "string"}},
                        "required": ["text"],
                    }
                }
            },
            "required": True,
        }
    },
)  # fmt: skip
def webhook_post(request, secret: str):
    """Post ``{"text": "..."}`` (Markdown, as in messages) to the webhook's room."""
    try:
        hook = webhook_find(secret)
    except WebhookGone as exc:
        raise ApiError(exc.status, exc.code, exc.detail) from None
    data = json_object(request)
    if "text" not in data:
        raise ApiError(400, "missing_text", 'The body has no "text" field.')
    message = message_of({"message": data["text"]})
    wait = webhook_wait(hook)
    if wait:
        raise ApiError(
            429, "rate_limited", f"Too many messages; try again in {wait:.1f} s.", round(wait, 1)
        )
    result = message_post_now(hook.room, webhook_identity(hook), message)
    webhook_used(hook)
    return Status(201, events.message_event(result.message))
