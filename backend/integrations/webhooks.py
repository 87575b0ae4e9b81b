"""Rooms' incoming webhooks: a secret URL that posts to one room as a bot.

The URL's secret is shown once; only its SHA-256 is kept. Each webhook may post
``RATE`` messages a second, in bursts of up to ``BURST`` (per server process).
"""

import secrets

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.access import Forbidden, room_access
from chat.identity import Identity, InvalidDisplayName, display_name_clean
from chat.models import Room
from chat.ratelimit import http_post_buckets
from chat.services import ActionRefused
from integrations.models import Webhook
from integrations.tokens import secret_hash

DEFAULT_NAME = "webhook"
RATE = 1.0  # messages a second
BURST = 20


class WebhookGone(Exception):
    """No webhook has this URL (``status`` 404), it was revoked (410), or it may no
    longer post (403: the person who made it can't)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def webhook_create(*, room: Room, by, name: str = "") -> tuple[Webhook, str]:
    """A webhook posting to ``room`` under ``name`` (a bot name, which may not look like a
    signed-up person's username); returns it and its secret."""
    try:
        name = display_name_clean(name or DEFAULT_NAME)
    except InvalidDisplayName as exc:
        raise ActionRefused("invalid_name", str(exc)) from None
    secret = secrets.token_urlsafe(32)
    hook = Webhook.objects.create(room=room, name=name, token_hash=secret_hash(secret),
                                  created_by=by)  # fmt: skip
    return hook, secret


def _room_webhook(room: Room, webhook_id: int) -> Webhook:
    hook = Webhook.objects.select_related("created_by").filter(pk=webhook_id, room=room).first()
    if hook is None:
        raise ActionRefused("unknown_webhook", _("This room has no webhook with this id."))
    return hook


def webhook_rename(*, room: Room, webhook_id: int, name: str) -> Webhook:
    """Give one of ``room``'s webhooks a new name (as webhook_create takes it): its next
    messages show it; those it posted keep the old one."""
    hook = _room_webhook(room, webhook_id)
    if hook.revoked_at is not None:
        raise ActionRefused("webhook_revoked", _("This webhook was revoked."))
    try:
        hook.name = display_name_clean(name)
    except InvalidDisplayName as exc:
        raise ActionRefused("invalid_name", str(exc)) from None
    hook.save(update_fields=["name"])
    return hook


def webhook_revoke(*, room: Room, webhook_id: int) -> None:
    hook = _room_webhook(room, webhook_id)
    if hook.revoked_at is None:
        hook.revoked_at = timezone.now()
        hook.save(update_fields=["revoked_at"])


def webhook_find(secret: str) -> Webhook:
    """The active webhook of a URL's secret, with its room, that may post there: it goes
    with the person who made it, who must still have an active account and be able to
    read the room (a member, for a private room or a DM) or be staff. Raises WebhookGone."""
    hook = (
        Webhook.objects.select_related("room", "created_by")
        .filter(token_hash=secret_hash(secret))
        .first()
    )
    if hook is None:
        raise WebhookGone(404, "unknown_webhook", _("No webhook has this URL."))
    if hook.revoked_at is not None:
        raise WebhookGone(410, "webhook_revoked", _("This webhook was revoked."))
    maker = hook.created_by
    if maker is None or not maker.is_active:
        raise WebhookGone(
            403, "webhook_maker_gone",
            _(
                "The person who made this webhook no longer has an account here; a member "
                "of the room can make a new one."
            ),
        )  # fmt: skip
    if not maker.is_staff:
        try:
            room_access(room_name=hook.room.name, user_id=maker.pk)
        except Forbidden:
            raise WebhookGone(
                403, "webhook_maker_left",
                _(
                    "The person who made this webhook may no longer read its room; a member "
                    "of the room can make a new one."
                ),
            ) from None  # fmt: skip
    return hook


def webhook_identity(hook: Webhook) -> Identity:
    """Who a webhook's messages are from: a bot of the webhook's name, allowed to post in
    its room (private or not) for as long as the webhook lasts."""
    return Identity(f"hook:{hook.pk}", hook.name, False, is_bot=True, is_webhook=True)


def webhook_wait(hook: Webhook) -> float:
    """Take a post from the webhook's allowance: 0.0, or the seconds until one is due."""
    return http_post_buckets.take(f"hook:{hook.pk}", RATE, BURST)


def webhook_used(hook: Webhook) -> None:
    Webhook.objects.filter(pk=hook.pk).update(last_used_at=timezone.now())
