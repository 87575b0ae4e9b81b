"""What the card of a message's bot or webhook shows."""

from django.utils.translation import gettext as _

from chat.models import Message, Room
from chat.services import ActionRefused
from integrations.models import Bot, Webhook
from people.profiles import profile_get

WEBHOOK_KEY_PREFIX = "hook:"  # integrations.webhooks.webhook_identity's keys


def message_integration(*, room: Room, seq: int) -> dict:
    """The bot or webhook that posted message ``seq`` of ``room``: what it is, its name
    now, who made it and when, and whether it still works. ActionRefused
    ``unknown_message``, or ``not_an_integration`` for a person's message."""
    message = (
        Message.objects.filter(room=room, seq=seq)
        .select_related("author", "author__profile")
        .first()
    )
    if message is None:
        raise ActionRefused(
            "unknown_message", _("There is no message {seq} in this room.").format(seq=seq)
        )
    if message.sender_key.startswith(WEBHOOK_KEY_PREFIX):
        return _webhook_card(message)
    bot = (
        Bot.objects.select_related("created_by").filter(user=message.author).first()
        if message.author_id is not None
        else None
    )
    if bot is None:
        raise ActionRefused(
            "not_an_integration", _("This message was written by a person, not a bot or a webhook.")
        )
    return {
        "kind": "bot",
        "name": profile_get(message.author).display_name or message.author.username,
        "username": message.author.username,
        "room": None,
        "created_by": bot.created_by.username if bot.created_by else None,
        "created": bot.created,
        "active": message.author.is_active,
    }


def _webhook_card(message: Message) -> dict:
    hook_id = message.sender_key.removeprefix(WEBHOOK_KEY_PREFIX)
    hook = (
        Webhook.objects.select_related("room", "created_by").filter(pk=hook_id).first()
        if hook_id.isdigit()
        else None
    )
    if hook is None:  # gone with its room's webhooks: what the message knows
        return {
            "kind": "webhook", "name": message.author_name, "username": None,
            "room": message.room.name, "created_by": None, "created": None, "active": False,
        }  # fmt: skip
    return {
        "kind": "webhook",
        "name": hook.name,
        "username": None,
        "room": hook.room.name,
        "created_by": hook.created_by.username if hook.created_by else None,
        "created": hook.created,
        "active": hook.revoked_at is None,
    }
