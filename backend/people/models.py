from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Profile(models.Model):
    """How a person shows themselves: a display name, a picture, a time zone, a few words,
    a status, Do Not Disturb, whether missed notifications are e-mailed, and the language
    they read. Made the first time any of it is set; a person without one shows their
    username."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="profile",
    )  # fmt: skip
    display_name = models.CharField(max_length=50, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)  # an IANA name
    about = models.CharField(max_length=500, blank=True)
    # The stored avatar's files are avatars/<avatar>-256.webp and -64.webp; "" for none.
    avatar = models.CharField(max_length=32, blank=True)
    status_emoji = models.CharField(max_length=32, blank=True)
    status_text = models.CharField(max_length=100, blank=True)
    status_expires_at = models.DateTimeField(null=True, blank=True)
    dnd_until = models.DateTimeField(null=True, blank=True)
    email_notify = models.BooleanField(default=True)
    # One of settings.LANGUAGES for pages, e-mail and error details; "" follows the browser.
    language = models.CharField(max_length=16, blank=True)

    def __str__(self) -> str:
        return self.display_name or str(self.user_id)


class Group(models.Model):
    """People an @<name> mention reaches at once (made by admins)."""

    name = models.CharField(max_length=50)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="chat_groups")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="group_name_unique_whatever_the_case")
        ]

    def __str__(self) -> str:
        return self.name
