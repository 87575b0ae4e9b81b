"""Where each person's browsers want their Web Push notifications delivered."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models


class PushSubscription(models.Model):
    """One browser's push subscription: its push service endpoint and the keys
    that encrypt what is sent to it (the browser's ``PushSubscription.toJSON()``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=50)
    created = models.DateTimeField(auto_now_add=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.user} at {self.endpoint_host}"

    @property
    def endpoint_host(self) -> str:
        return urlsplit(self.endpoint).netloc
