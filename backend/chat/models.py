"""Rooms, who may read them, and their messages: the database is the source of truth."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Room(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", "public: anyone may read and post"
        PRIVATE = "private", "private: members only"
        DM = "dm", "direct messages between two people"

    # Unique across every kind: a taken name is taken for everyone.
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PUBLIC)
    # A direct message's two people, "<lower user id>:<higher user id>": one room per pair.
    dm_pair = models.CharField(max_length=50, null=True, blank=True, unique=True)  # noqa: DJ001
    created = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # The last sequence number handed out in this room; incremented under a row
    # lock, so seqs are gap-free and unique even with many writers.
    last_seq = models.PositiveBigIntegerField(default=0)
    # Whether @all, @room and @here may be used here (admins turn them off).
    all_mentions = models.BooleanField(default=True)
    # One line of inline Markdown shown in the room's header, and a longer text about it.
    topic = models.CharField(max_length=250, blank=True, default="")
    description = models.TextField(max_length=2000, blank=True, default="")
    # An archived room stays readable and searchable; nothing new is posted, edited or
    # reacted to, and it leaves the directory and sidebars for an "Archived" section.
    archived_at = models.DateTimeField(null=True, blank=True)
    # How many active outgoing webhooks it has: read as its seqs are taken, so a post to a
    # room without any costs nothing more (integrations.outgoing keeps it right).
    outgoing_webhooks_active = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def private(self) -> bool:
        return self.kind != Room.Kind.PUBLIC

    def clean(self) -> None:
        # Direct messages are made by opening them (chat.services.rooms.dm_open) only.
        if (self.kind == Room.Kind.DM) != bool(self.dm_pair):
            raise ValidationError(
                {"kind": "A room becomes a direct message only by being opened as one."}
            )


class Membership(models.Model):
    """A person's place in a room: what lets them read a private room or a DM, puts the
    room in their sidebar, and keeps how far they have read.

    ``chosen``: they were made a member (made the room, were added or invited, or
    added in the admin), not only by reading a public room. Only chosen members stay
    when a public room is made private."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    is_owner = models.BooleanField(default=False)
    chosen = models.BooleanField(
        default=True,
        help_text="A member by choice, not only by reading a public room: stays a member "
        "if the room is made private.",
    )
    # The last seq this person has seen in the room (0: none yet).
    last_read_seq = models.PositiveBigIntegerField(default=0)
    joined = models.DateTimeField(default=timezone.now)

    class Level(models.TextChoices):
        """What notifies them: every message, only what reaches them (mentions, @all,
        @here, their groups; a DM's every message), or nothing. "" is the default:
        ``all`` in a DM, ``mentions`` in a room."""

        ALL = "all"
        MENTIONS = "mentions"
        NOTHING = "nothing"

    level = models.CharField(max_length=8, choices=Level.choices, blank=True, default="")
    # The last seq an e-mail about what they missed here covered (0: none yet).
    emailed_seq = models.PositiveBigIntegerField(default=0)
    # A DM closed from the page: out of the sidebar until it is read again or has
    # something unread.
    closed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="membership_unique_per_room"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}"


class Invitation(models.Model):
    """A link that makes whoever opens it (signed in) a member of a private room, once."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="invitations")
    # SHA-256 of the token in the link; the token itself is shown once, never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    def __str__(self) -> str:
        return f"invitation to {self.room} until {self.expires:%Y-%m-%d %H:%M}"


class Message(models.Model):
    # PROTECT: a room with messages is never deleted (its name would start again at seq 1).
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="messages")
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_name = models.CharField(max_length=150)
    author_is_guest = models.BooleanField(default=False)
    # Posted by a bot account or through a webhook: shown with a badge.
    author_is_bot = models.BooleanField(default=False)
    # The author's display name when they posted it ("" for none: the name shows).
    author_display = models.CharField(max_length=50, blank=True, default="")
    # Who sent it ("user:<id>" or "guest:<id>"): the scope of the client nonce.
    sender_key = models.CharField(max_length=64)
    body = models.TextField()
    # The body as safe HTML (chat.formatting), rendered whenever the body is stored.
    html = models.TextField(blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
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
    # The message this one replies to (in the same room).
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Public ids (chat.rooms.public_person_id) of the people it @mentions, so every
    # page highlights the same mentions the server counted.
    mentions = models.JSONField(default=list, blank=True)
    # A line the server writes about something done in the room ("pinned": its author
    # pinned the message it replies to); "" for a message someone wrote.
    system = models.CharField(max_length=16, blank=True, default="")
    # Its first link's preview (previews.service): null until one is found, {} once its
    # author removed it.
    preview = models.JSONField(null=True, blank=True)
    # A reply in a thread: the seq of the thread's first message (its root), in the same
    # room. Threads are one level: a root is never a reply.
    thread = models.PositiveBigIntegerField(null=True, blank=True)
    # A root's thread as it stands (chat.services.storing keeps them, under the room's
    # lock): replies not deleted, the last one's seq and time, who replied lately.
    thread_replies = models.PositiveIntegerField(default=0, db_default=0)
    thread_last_seq = models.PositiveBigIntegerField(null=True, blank=True)
    thread_last_at = models.DateTimeField(null=True, blank=True)
    thread_people = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["room", "seq"]
        indexes = [
            models.Index(
                fields=["room", "thread", "seq"],
                name="message_thread_replies",
                condition=models.Q(thread__isnull=False),
            ),
        ]
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


class MessageEdit(models.Model):
    """A message's text before one of its edits: the versions staff see in the admin."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="edits")
    body = models.TextField()  # the text the edit replaced
    edited_at = models.DateTimeField(default=timezone.now)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    editor_name = models.CharField(max_length=150)

    class Meta:
        ordering = ["message", "edited_at", "pk"]

    def __str__(self) -> str:
        return f"{self.message.room.name}#{self.message.seq} before {self.edited_at:%H:%M:%S}"


class Attachment(models.Model):
    """A file someone uploaded to a room, then sent with a message. ``key`` is the
    random part of its URL; who may fetch it is checked on every request."""

    key = models.CharField(max_length=32, unique=True)
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    # Who uploaded it ("user:<id>" or "guest:<id>"): only they can send it.
    sender_key = models.CharField(max_length=64)
    file = models.FileField(upload_to="attachments/%Y/%m/", max_length=255)
    thumbnail = models.FileField(upload_to="thumbnails/%Y/%m/", max_length=255, blank=True)
    name = models.CharField(max_length=150)  # as shown and downloaded, made safe
    size = models.PositiveBigIntegerField()
    # A verified image's type (image/png, image/jpeg, image/gif, image/webp), else
    # application/octet-stream: only verified images are ever shown inline.
    content_type = models.CharField(max_length=100)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["message", "pk"]

    def __str__(self) -> str:
        return f"{self.name} in {self.room}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Reaction(models.Model):
    """One person's emoji on a message (each person gives each emoji once)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    # Who reacted ("user:<id>" or "guest:<id>"), and the name they showed then.
    sender_key = models.CharField(max_length=64)
    name = models.CharField(max_length=150)
    emoji = models.CharField(max_length=32)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["message", "created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "sender_key", "emoji"], name="reaction_once_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.emoji} on {self.message_id}"


class Mention(models.Model):
    """A signed-in person @mentioned in a message: what their mention counts count."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The message's room and seq, so counting mentions after a read mark needs no join.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["user", "room", "seq"])]
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="mention_once_per_message"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.room}#{self.seq}"


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


class UsernameLook(models.Model):
    """How an account's username looks (chat.identity.name_skeletons), kept so that a new
    name is compared with every username by an indexed lookup, not a scan."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    skeleton = models.CharField(max_length=1000, db_index=True)  # of the case-folded name
    skeleton_cased = models.CharField(max_length=1000, db_index=True)  # of the name as written

    def __str__(self) -> str:
        return self.skeleton


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


class Pin(models.Model):
    """A message pinned for everyone in its room (at most chat.services.pins.PINS_MAX)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="pins")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    pinned_by_name = models.CharField(max_length=150)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["room", "-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["room", "message"], name="pin_once_per_message"),
        ]

    def __str__(self) -> str:
        return f"{self.room.name}#{self.message.seq} pinned by {self.pinned_by_name}"


class Saved(models.Model):
    """A message a person saved for themselves (shown while they may still read it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["user", "-created", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "message"], name="saved_once_per_message"),
        ]

    def __str__(self) -> str:
        return f"{self.user} saved {self.message_id}"


class ThreadFollow(models.Model):
    """A person following a thread (they started it, replied, were mentioned in it, or
    chose to): its replies count for them, and they have a read mark in it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    root_seq = models.PositiveBigIntegerField()
    # The last seq of the thread they have seen (0: none of its replies).
    last_read_seq = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "room", "root_seq"], name="thread_follow_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.room.name}#{self.root_seq}"
