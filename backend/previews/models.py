"""What a link's page said, fetched once and kept for a while for every message that
links to it."""

from django.db import models
from django.utils import timezone


class LinkPreview(models.Model):
    # SHA-256 of the URL as linked: one row per URL, whatever its length.
    url_hash = models.CharField(max_length=64, unique=True)
    url = models.TextField()
    # {"url", "title", "description", "site_name"} as shown; null when the page gave none
    # (refused, failed, or nothing to show): kept too, so it isn't fetched again soon.
    data = models.JSONField(null=True, blank=True)
    # The page's image, re-encoded from its pixels alone (never linked to).
    image = models.FileField(upload_to="previews/%Y/%m/", max_length=255, blank=True)
    fetched_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.url[:80]
