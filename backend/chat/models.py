"""Rooms and their messages: the database is the source of truth for history."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Room(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # The last sequence number handed out in this room; incremented under a row
    # lock, so seqs are gap-free and unique even with many writers.
    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    # PROTECT: a room with messages is never deleted (its name would start again at seq 1).
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="messages")
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_name = models.CharField(max_length=150)
    author_is_guest = models.BooleanField(default=False)
    # Who sent it ("user:<id>" or "guest:<id>"): the scope of the client nonce.
    sender_key = models.CharField(max_length=64)
    body = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    # NULL (not "") when absent, so the unique constraint below skips it.
    nonce = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # A deleted message keeps its seq (numbering stays gap-free) but not its text.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_unique_seq_per_room"),
            models.UniqueConstraint(
                fields=["room", "sender_key", "nonce"],
                condition=models.Q(nonce__isnull=False),
                name="message_unique_nonce_per_sender",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room.name}#{self.seq} {self.author_name}: {self.body[:40]}"


class Mute(models.Model):
    """A person who may not post in a room until ``until``."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="mutes")
    sender_key = models.CharField(max_length=64)
    name = models.CharField(max_length=150)
    until = models.DateTimeField()
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        indexes = [models.Index(fields=["room", "sender_key", "until"])]

    def __str__(self) -> str:
        return f"{self.name} in {self.room.name} until {self.until:%Y-%m-%d %H:%M}"


class GuestName(models.Model):
    """The name a guest goes by, claimed so that no other guest takes one that looks the
    same (chat.identity.name_skeletons) while the claim lasts."""

    guest_key = models.CharField(max_length=64, unique=True)
    skeleton = models.CharField(max_length=200, unique=True)  # of the case-folded name
    skeleton_cased = models.CharField(max_length=200, unique=True)  # of the name as written
    name = models.CharField(max_length=64)
    claimed = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.name
