from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """What an admin did to a person: who, what, whom, when. Names are kept as they were,
    so an entry still reads right after an account is renamed or removed."""

    class Action(models.TextChoices):
        DEACTIVATE = "deactivate"
        REACTIVATE = "reactivate"
        INVITE = "invite"
        REVOKE_INVITATION = "revoke_invitation"
        JOIN = "join"
        ROLE = "role"
        RESET_MFA = "reset_mfa"

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
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target_name}"


class Role(models.TextChoices):
    """A person's role. Owners are superusers and admins staff (Django's own flags, so
    Django's admin agrees); a guest account has a ``GuestAccount``; anyone else is a
    member."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    GUEST = "guest"


class Invitation(models.Model):
    """An invitation to join the organization: single use (``max_uses`` 1), or a join
    link used by several (``max_uses`` a number, or none for no limit). Only the hash of
    its secret is kept; resetting a join link gives it a new secret."""

    token_hash = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    email = models.EmailField(blank=True)
    join_link = models.BooleanField(default=False)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    # A guest's one private room, and when their account is deactivated by itself.
    room = models.ForeignKey(
        "chat.Room", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    guest_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{'join link' if self.join_link else 'invitation'} ({self.role})"

    @property
    def uses_left(self) -> int | None:
        return None if self.max_uses is None else max(0, self.max_uses - self.uses)


class GuestAccount(models.Model):
    """A guest account: it sees only the rooms it is a member of, and with ``until`` it
    is deactivated by itself at that time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="guest_account"
    )
    until = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"guest {self.user_id}"
