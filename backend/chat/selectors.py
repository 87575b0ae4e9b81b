"""Reading rooms and their history. Functions returning messages return them in ``seq``
order. None of them checks access: callers pass rooms the reader may read
(chat.access)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce

from chat.access import guest_account
from chat.models import Attachment, Membership, Mention, Message, Reaction, Room

HISTORY_LENGTH = 50


def messages_shown(messages):
    """``messages`` (a queryset), each with what it replies to, its reactions
    (``reaction_rows``) and its attachments (``attachment_rows``): what a message
    object carries (chat.protocol.events.message_event)."""
    reactions = Prefetch("reactions", queryset=Reaction.objects.all(), to_attr="reaction_rows")
    files = Prefetch("attachments", queryset=Attachment.objects.all(), to_attr="attachment_rows")
    return messages.select_related("reply_to").prefetch_related(reactions, files)


def _room_messages(room_name: str):
    return messages_shown(Message.objects.filter(room__name=room_name))


def readable_rooms(user_id: int):
    """The rooms a signed-in person may read: every public room and those they are a
    member of; a guest account only the latter (as chat.access decides one by one)."""
    own = Membership.objects.filter(user_id=user_id).values("room_id")
    if guest_account(user_id):
        return Room.objects.filter(pk__in=own)
    return Room.objects.filter(Q(kind=Room.Kind.PUBLIC) | Q(pk__in=own))


def room_history(*, room_name: str, limit: int = HISTORY_LENGTH) -> list[Message]:
    """The last ``limit`` messages of the room."""
    latest = list(_room_messages(room_name).order_by("-seq")[:limit])
    latest.reverse()
    return latest


def room_messages_after(*, room_name: str, after: int, limit: int) -> tuple[list[Message], bool]:
    """Messages with ``seq > after``, oldest first, at most ``limit``; and whether more exist."""
    page = list(_room_messages(room_name).filter(seq__gt=after).order_by("seq")[: limit + 1])
    return page[:limit], len(page) > limit


def room_messages_before(
    *, room_name: str, before: int | None, limit: int
) -> tuple[list[Message], bool]:
    """The ``limit`` messages just before ``seq`` ``before`` (or the latest); and whether
    older ones exist."""
    messages = _room_messages(room_name)
    if before is not None:
        messages = messages.filter(seq__lt=before)
    page = list(messages.order_by("-seq")[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    page.reverse()
    return page, has_more


def room_messages_around(
    *, room_name: str, seq: int, limit: int
) -> tuple[list[Message], bool, bool]:
    """About ``limit`` messages centred on ``seq`` (it included when it exists): half
    older, the rest from ``seq`` on; and whether older and newer ones exist."""
    older, has_older = room_messages_before(room_name=room_name, before=seq, limit=limit // 2)
    newer, has_newer = room_messages_after(room_name=room_name, after=seq - 1,
                                           limit=limit - len(older))  # fmt: skip
    return older + newer, has_older, has_newer


def rooms_recently_active(*, limit: int) -> list[Room]:
    """Public rooms with messages, not archived, the most recently active first."""
    return list(
        Room.objects.filter(
            kind=Room.Kind.PUBLIC, last_message_at__isnull=False, archived_at__isnull=True
        ).order_by("-last_message_at")[:limit]
    )


def person_room_names(*, user_id: int) -> frozenset[str]:
    """The rooms a signed-in person is a member of: their sidebar."""
    return frozenset(
        Membership.objects.filter(user_id=user_id).values_list("room__name", flat=True)
    )


def people_room_names(user_ids: set[int]) -> dict[int, frozenset[str]]:
    """``person_room_names`` of each of ``user_ids``, in one query."""
    names: dict[int, set[str]] = {user_id: set() for user_id in user_ids}
    rows = Membership.objects.filter(user_id__in=user_ids).values_list("user_id", "room__name")
    for user_id, room_name in rows:
        names[user_id].add(room_name)
    return {user_id: frozenset(rooms) for user_id, rooms in names.items()}


@dataclass(frozen=True, slots=True)
class RoomEntry:
    """A room as one person sees it in their lists."""

    room: Room
    membership: Membership | None  # None: not a member (a public room)
    title: str  # the name, or for a DM the other person's username
    dm_with: str | None = None
    dm_with_name: str = ""  # the other person's display name, if they have one
    unread: int = 0  # messages from others after the read mark, not deleted nor in a thread
    mentions: int = 0  # of those, the ones that @mention this person


def room_entry(*, user_id: int | None, room: Room) -> RoomEntry:
    """One room as ``user_id`` sees it."""
    return room_entries(user_id=user_id, rooms=[room], add_own=False)[0]


def dm_other_id(room: Room, user_id: int) -> int:
    """The other person of a direct message."""
    low, high = (int(part) for part in room.dm_pair.split(":"))
    return high if user_id == low else low


def _counted(memberships, user_id: int):
    """Memberships with ``unread`` and ``mentions`` counted in the same query."""

    def count(rows):
        counted = rows.order_by().values("room_id").annotate(n=Count("*")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    after_mark = {"room_id": OuterRef("room_id"), "seq__gt": OuterRef("last_read_seq")}
    # A thread's replies count in the thread (chat.services.threads), not in the room.
    unread = Message.objects.filter(
        **after_mark, deleted_at__isnull=True, thread__isnull=True
    ).exclude(sender_key=f"user:{user_id}")
    mentions = Mention.objects.filter(
        **after_mark, user_id=user_id, message__deleted_at__isnull=True
    )
    return memberships.annotate(unread=count(unread), mentions=count(mentions))


def room_entries(
    *, user_id: int | None, rooms: list[Room], add_own: bool = True
) -> list[RoomEntry]:
    """``rooms`` (which the person may read) as ``user_id`` (None: not signed in) sees
    them, with (``add_own``) every room they are a member of added."""
    memberships = {}
    if user_id is not None:
        own = Membership.objects.filter(user_id=user_id).select_related("room")
        if not add_own:
            own = own.filter(room__in=rooms)
        memberships = {m.room_id: m for m in _counted(own, user_id)}
    by_id = {room.pk: room for room in rooms}
    by_id.update({room_id: m.room for room_id, m in memberships.items()})
    others = {
        room.pk: dm_other_id(room, user_id)
        for room in by_id.values()
        if room.kind == Room.Kind.DM and user_id is not None
    }
    usernames, shown = {}, {}
    if others:
        rows = get_user_model().objects.filter(pk__in=others.values())
        for pk, username, display in rows.values_list("pk", "username", "profile__display_name"):
            usernames[pk], shown[pk] = username, display or ""
    entries = []
    for room in by_id.values():
        membership = memberships.get(room.pk)
        dm_with = usernames.get(others[room.pk]) if room.pk in others else None
        entries.append(
            RoomEntry(
                room,
                membership,
                dm_with or room.name,
                dm_with,
                shown.get(others.get(room.pk), ""),
                unread=getattr(membership, "unread", 0),
                mentions=getattr(membership, "mentions", 0),
            )  # fmt: skip
        )
    return entries
