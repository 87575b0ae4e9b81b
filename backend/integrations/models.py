"""Personal API tokens, bot accounts, rooms' incoming and outgoing webhooks, and
slash commands.

A token or an incoming webhook's secret is shown once, when it is made; only its
SHA-256 is stored, so a copy of the database doesn't let anyone in. An outgoing
webhook's or a slash command's secret signs what the chat sends, so it is kept.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A secret that signs its user in on the JSON API and the WebSocket
    (``Authorization: Bearer <token>``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    # The token's first characters, so its owner can tell their tokens apart.
    prefix = models.CharField(max_length=16)
    created = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "-created", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"


class Bot(models.Model):
    """A user account that is a program: made by staff, signed in only by its tokens,
    and shown with a "bot" badge on its messages."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="bot")  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.user.get_username()


class Webhook(models.Model):
    """A secret URL that posts its JSON ``{"text": ...}`` to one room, as a bot named
    ``name``."""

    room = models.ForeignKey("chat.Room", on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["room", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} in {self.room}"


class OutgoingWebhook(models.Model):
    """A URL told about a room's events (integrations.outgoing), in order, at least once.

    While ``failing_since`` is set it is paused: its queue was dropped and nothing new
    is queued for it until its owner resumes it."""

    EVENTS = ("message", "edit", "delete", "reaction")

    room = models.ForeignKey(
        "chat.Room", on_delete=models.CASCADE, related_name="outgoing_webhooks"
    )
    name = models.CharField(max_length=32)
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    mentions_only = models.BooleanField(default=False)
    secret = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created = models.DateTimeField(default=timezone.now)
    # The event at the head of its queue: tries so far, when the first failed, when next.
    attempts = models.PositiveIntegerField(default=0)
    failed_first_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, default="")
    failing_since = models.DateTimeField(null=True, blank=True)
    # Which server process delivers it now, until when (one at a time keeps the order).
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["room", "pk"]

    def __str__(self) -> str:
        return f"{self.name} of {self.room} → {self.url}"


class OutgoingEvent(models.Model):
    """One event waiting to be delivered to one outgoing webhook: the exact body that is
    POSTed (its id is the ``X-Chat-Delivery`` header, the same on every retry)."""

    webhook = models.ForeignKey(OutgoingWebhook, on_delete=models.CASCADE, related_name="queue")
    type = models.CharField(max_length=10)
    seq = models.PositiveBigIntegerField()
    body = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["webhook", "id"], name="outgoing_event_queue")]

    def __str__(self) -> str:
        return f"{self.type} {self.seq} for {self.webhook_id}"


class SlashCommand(models.Model):
    """``/name args`` typed in any room is POSTed to ``url`` instead of being posted; the
    answer is shown to the sender alone or to the room (integrations.commands)."""

    name = models.CharField(max_length=32, unique=True)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True, default="")
    secret = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"/{self.name} → {self.url}"
