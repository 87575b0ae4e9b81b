"""Threads: any message can start one; replies carry the root's seq (``thread``) and keep
the room's seqs, so a thread has the room's guarantees (nothing lost or repeated, in
order). Threads are one level: a reply can't start one.

A root keeps its thread's summary (replies not deleted, the last one's seq and time,
who replied lately), written in the transaction that stores its replies, under the
room's lock, so two writers never leave it behind. People who start a thread, reply
in it or are mentioned in it follow it (``ThreadFollow``), with a read mark of their
own; anyone may follow or unfollow.
"""

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat import selectors
from chat.models import Message, Room, ThreadFollow
from chat.protocol import events
from chat.rooms import public_person_id
from chat.services import ActionRefused

PEOPLE_SHOWN = 5
PEOPLE_LOOKED_AT = 200  # the latest replies a summary's people are taken from
THREADS_LISTED = 100


def thread_refusal(root: Message | None, seq: int) -> ActionRefused | None:
    """Why a reply can't go into the thread of message ``seq`` (``root``, None when there
    is no such message in the room), or None."""
    if root is None or root.deleted_at is not None or root.system:
        return ActionRefused(
            "invalid_thread",
            format_lazy(_("There is no message {seq} here to reply to in a thread."), seq=seq),
        )
    if root.thread is not None:
        return ActionRefused(
            "invalid_thread",
            format_lazy(
                _(
                    "Message {seq} is a reply in the thread of {root}; threads are one level: "
                    "reply in that thread instead."
                ),
                seq=seq,
                root=root.thread,
            ),  # fmt: skip
        )
    return None


def summary_refresh(room_id: int, root_seq: int) -> dict | None:
    """Count the thread of ``root_seq`` again and write its summary into the root;
    returns it (None once it has no replies). Call with the room's row locked (storing
    does) or when a reply was deleted."""
    replies = Message.objects.filter(room_id=room_id, thread=root_seq, deleted_at__isnull=True)
    latest = list(
        replies.order_by("-seq").values_list(
            "seq", "created", "sender_key", "author_name", "author_display"
        )[:PEOPLE_LOOKED_AT]
    )
    people: dict[str, dict] = {}
    for _seq, _created, sender, name, display in latest:
        uid = public_person_id(sender)
        if uid not in people and len(people) < PEOPLE_SHOWN:
            people[uid] = {"uid": uid, "user": name, "name": display}
    count = replies.count() if len(latest) == PEOPLE_LOOKED_AT else len(latest)
    last_seq, last_at = (latest[0][0], latest[0][1]) if latest else (None, None)
    root = Message(
        thread_replies=count, thread_last_seq=last_seq, thread_last_at=last_at,
        thread_people=list(people.values()) or None,
    )  # fmt: skip
    Message.objects.filter(room_id=room_id, seq=root_seq).update(
        thread_replies=root.thread_replies, thread_last_seq=root.thread_last_seq,
        thread_last_at=root.thread_last_at, thread_people=root.thread_people,
    )  # fmt: skip
    return events.summary_json(root)


def threads_stored(replies: list[Message], mentioned: dict[int, tuple]) -> None:
    """After new replies are inserted (in their transaction, the rooms' rows locked):
    their roots' summaries, and who follows each thread now. Each reply (its root in
    ``thread_root``) gets ``thread_summary``, its root's summary as this batch leaves it."""
    follows: dict[tuple[int, int, int], int] = {}  # (user, room, root) -> seq read
    summaries = {}
    for reply in replies:
        key = (reply.room_id, reply.thread)
        if key not in summaries:
            summaries[key] = summary_refresh(*key)
        for user_id in (reply.thread_root.author_id, *mentioned.get(id(reply), ())):
            if user_id is not None:
                follows.setdefault((user_id, *key), 0)
        if reply.author_id is not None:
            follows[(reply.author_id, *key)] = reply.seq  # they have read up to their reply
    for reply in replies:
        reply.thread_summary = summaries[(reply.room_id, reply.thread)]
    ThreadFollow.objects.bulk_create(
        [ThreadFollow(user_id=u, room_id=r, root_seq=s, last_read_seq=read)
         for (u, r, s), read in follows.items()],
        ignore_conflicts=True,
    )  # fmt: skip
    for (user_id, room_id, root_seq), read in follows.items():
        if read:
            ThreadFollow.objects.filter(
                user_id=user_id, room_id=room_id, root_seq=root_seq, last_read_seq__lt=read
            ).update(last_read_seq=read)


def _root(room: Room, seq: int) -> Message:
    root = Message.objects.filter(room=room, seq=seq).first()
    refusal = thread_refusal(root, seq)
    if refusal is not None:
        raise ActionRefused(
            "unknown_thread", format_lazy(_("There is no thread at message {seq} here."), seq=seq)
        )
    return root


def thread_messages(*, room: Room, seq: int, after: int, limit: int):
    """The root of the thread at ``seq`` and its replies after ``after`` (oldest first, at
    most ``limit``), and whether there are more."""
    root = _root(room, seq)
    shown = selectors.messages_shown(Message.objects.filter(room=room))
    replies = list(shown.filter(thread=seq, seq__gt=after).order_by("seq")[: limit + 1])
    root = shown.get(pk=root.pk)
    return root, replies[:limit], len(replies) > limit


def follow_set(*, room: Room, seq: int, user, following: bool) -> None:
    """Follow the thread at ``seq`` (read up to now), or stop following it."""
    root = _root(room, seq)
    if not following:
        ThreadFollow.objects.filter(user=user, room=room, root_seq=seq).delete()
        return
    ThreadFollow.objects.get_or_create(
        user=user, room=room, root_seq=seq,
        defaults={"last_read_seq": root.thread_last_seq or root.seq},
    )  # fmt: skip


def following(*, room: Room, seq: int, user) -> bool:
    return ThreadFollow.objects.filter(user=user, room=room, root_seq=seq).exists()


def thread_read(*, room: Room, seq: int, user, read: int) -> None:
    """Move the person's read mark in the thread at ``seq`` forward to ``read``."""
    _root(room, seq)
    followed = ThreadFollow.objects.filter(user=user, room=room, root_seq=seq)
    if not followed.exists():
        raise ActionRefused("not_following", _("You don't follow this thread."))
    followed.filter(last_read_seq__lt=read).update(last_read_seq=read)


def threads_followed(*, user, unread_only: bool = False) -> list[tuple[ThreadFollow, Message, int]]:
    """The threads the person follows in rooms they may read now: (follow, root, replies
    from others after their read mark), the latest reply first."""
    unread = (
        Message.objects.filter(
            room_id=OuterRef("room_id"), thread=OuterRef("root_seq"),
            seq__gt=OuterRef("last_read_seq"), deleted_at__isnull=True,
        )
        .exclude(author_id=user.pk)
        .order_by()
        .values("thread")
        .annotate(n=Count("pk"))
        .values("n")
    )  # fmt: skip
    follows = (
        ThreadFollow.objects.filter(user=user, room__in=selectors.readable_rooms(user.pk))
        .select_related("room")
        .annotate(unread=Coalesce(Subquery(unread), 0))
    )
    if unread_only:
        follows = follows.filter(unread__gt=0)
    follows = list(follows[: THREADS_LISTED * 2])
    roots = selectors.messages_shown(
        Message.objects.filter(
            Q(*[Q(room_id=f.room_id, seq=f.root_seq) for f in follows], _connector=Q.OR)
        )
    ) if follows else []  # fmt: skip
    by_key = {(m.room_id, m.seq): m for m in roots}
    found = [(f, by_key[(f.room_id, f.root_seq)], f.unread) for f in follows
             if (f.room_id, f.root_seq) in by_key]  # fmt: skip
    found.sort(key=lambda item: item[1].thread_last_seq or item[1].seq, reverse=True)
    found.sort(key=lambda item: item[1].thread_last_at or item[1].created, reverse=True)
    return found[:THREADS_LISTED]
