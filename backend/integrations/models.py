"""Personal API tokens, bot accounts and rooms' incoming webhooks.

A token or a webhook's secret is shown once, when it is made; only its SHA-256
is stored, so a copy of the database doesn't let anyone in.
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
