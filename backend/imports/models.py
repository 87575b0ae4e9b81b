"""Who came over from another chat: each Slack account ``import_slack`` brought in, and
the account here that holds its history."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class SlackPerson(models.Model):
    """A Slack account and the account here that is theirs. An account made by the import
    waits for its owner (inactive, no password) until someone signs up with ``email``
    (imports.claims); one that existed already (the same address, confirmed here) is
    joined from the start. Several Slack accounts (workspaces) may be one person here."""

    slack_id = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slack_people"
    )
    # The address Slack had for them, normalized (organization.mail); "" for none.
    email = models.EmailField(blank=True, db_index=True)
    imported = models.DateTimeField(default=timezone.now)
    # When the account became someone's here (None: still waiting for them).
    joined = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "Slack people"

    def __str__(self) -> str:
        return f"{self.slack_id} as {self.user}"
