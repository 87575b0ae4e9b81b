"""A room's outgoing webhooks, made and changed by its members (or staff) under
``/api/rooms/<name>/outgoing-webhooks/``, and ``/api/rooms/<name>/events/?after=<seq>``
for a tool to catch up from any point (docs/api.md; delivery in
integrations.outgoing)."""

from datetime import datetime

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ninja import Schema, Status

from api.auth import signed_in
from api.errors import ApiError
from api.messages import PAGE_LIMIT_DEFAULT, json_object, page_after
from api.rooms import REFUSALS, existing_room, router
from api.webhooks import room_managed
from integrations.models import OutgoingWebhook
from integrations.outgoing import (
    event_json,
    outgoing_change,
    outgoing_create,
    outgoing_delete,
    pending_counts,
)


class OutgoingWebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    mentions_only: bool
    created: datetime
    created_by: str | None
    state: str  # "active" or "failing"
    failing_since: datetime | None
    last_error: str
    pending: int  # events waiting to be delivered


class OutgoingWebhookCreated(OutgoingWebhookOut):
    secret: str  # the only time it is shown


class OutgoingWebhooksOut(Schema):
    outgoing_webhooks: list[OutgoingWebhookOut]


def _shown(hook: OutgoingWebhook, pending: int = 0) -> dict:
    return {
        "id": hook.pk,
        "name": hook.name,
        "url": hook.url,
        "events": hook.events,
        "mentions_only": hook.mentions_only,
        "created": hook.created,
        "created_by": hook.created_by.username if hook.created_by else None,
        "state": "failing" if hook.failing_since else "active",
        "failing_since": hook.failing_since,
        "last_error": hook.last_error,
        "pending": pending,
    }


def _hook(room, webhook_id: int) -> OutgoingWebhook:
    hook = room.outgoing_webhooks.select_related("created_by").filter(pk=webhook_id).first()
    if hook is None:
        raise ApiError(404, "unknown_webhook", _("This room has no outgoing webhook with this id."))
    return hook


@router.post(
    "/{name}/outgoing-webhooks/", response={201: OutgoingWebhookCreated, **REFUSALS},
    auth=signed_in,
)  # fmt: skip
def outgoing_webhooks_create(request, name: str):
    """Tell ``url`` about the room's ``events`` (``message``, ``edit``, ``delete``,
    ``reaction``), only those @mentioning the webhook's ``name`` with ``mentions_only``."""
    room = room_managed(request, name)
    existing_room(request, name)  # staff too: what it is told, its maker must be able to read
    data = json_object(request)
    if not isinstance(data.get("url"), str):
        raise ApiError(400, "invalid_url", _('The body needs a "url".'))
    name_given = data.get("name", "")
    if not isinstance(name_given, str):
        raise ApiError(400, "invalid_name", _("“name” must be a string."))
    hook = outgoing_create(
        room=room, by=request.user, url=data["url"], events=data.get("events"),
        mentions_only=data.get("mentions_only", False), name=name_given,
    )  # fmt: skip
    return Status(201, _shown(hook) | {"secret": hook.secret})


@router.get(
    "/{name}/outgoing-webhooks/", response={200: OutgoingWebhooksOut, **REFUSALS},
    auth=signed_in,
)  # fmt: skip
def outgoing_webhooks_list(request, name: str):
    """The room's outgoing webhooks, without their secrets."""
    room = room_managed(request, name)
    hooks = list(room.outgoing_webhooks.select_related("created_by"))
    pending = pending_counts(hooks)
    return {"outgoing_webhooks": [_shown(hook, pending.get(hook.pk, 0)) for hook in hooks]}


@router.patch(
    "/{name}/outgoing-webhooks/{webhook_id}/", response={200: OutgoingWebhookOut, **REFUSALS},
    auth=signed_in,
)  # fmt: skip
def outgoing_webhooks_change(request, name: str, webhook_id: int):
    """Change any of ``name``, ``url``, ``events``, ``mentions_only``; ``"active": true``
    resumes a failing one."""
    hook = _hook(room_managed(request, name), webhook_id)
    existing_room(request, name)
    data = json_object(request)
    known = {"name", "url", "events", "mentions_only", "active"}
    if "name" in data and not isinstance(data["name"], str):
        raise ApiError(400, "invalid_name", _("“name” must be a string."))
    if unknown := sorted(set(data) - known):
        raise ApiError(
            400,
            "invalid_request",
            format_lazy(_("Unknown fields: {fields}."), fields=", ".join(unknown)),
        )
    if "active" in data and data["active"] is not True:
        raise ApiError(400, "invalid_request", _("“active” can only be true (to resume it)."))
    hook = outgoing_change(hook, data)
    return _shown(hook, pending_counts([hook]).get(hook.pk, 0))


@router.delete(
    "/{name}/outgoing-webhooks/{webhook_id}/", response={204: None, **REFUSALS}, auth=signed_in
)
def outgoing_webhooks_delete(request, name: str, webhook_id: int):
    """Remove it, and the events waiting for it."""
    outgoing_delete(_hook(room_managed(request, name), webhook_id))
    return Status(204, None)


@router.get("/{name}/events/", response={200: dict, **REFUSALS}, auth=None)
def events_list(request, name: str, after: str = "0", limit: str = str(PAGE_LIMIT_DEFAULT)):
    """The room's messages after seq ``after`` as events, in seq order, as they are now:
    ``message`` events (edits included in their ``edited_at`` and text) and ``delete`` for
    those deleted since; ``next`` is the ``after`` of the following page (null at the end)."""
    room, page, has_more = page_after(request, name, after, limit)
    shown = [
        event_json(room.name, "delete" if m.deleted_at else "message", m)
        for m in page
        if not m.system
    ]
    return {"events": shown, "next": page[-1].seq if has_more else None}
