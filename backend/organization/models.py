from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """What an admin did to a person: who, what, whom, when. Names are kept as they were,
    so an entry still reads right after an account is renamed or removed."""

    class Action(models.TextChoices):
        DEACTIVATE = "deactivate"
        REACTIVATE = "reactivate"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices)
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_name = models.CharField(max_length=150)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target_name}"
