"""Storing posts: many rooms' posts in one transaction, in a fixed number of statements.

However many rooms and posts a batch holds, it costs: one look for nonces used
before and one for mutes in force (and, only when a post needs them, one each
for replies, uploads, private rooms' members and the people it @mentions), one
statement that locks the rooms' rows and takes their next seqs, and one INSERT
of every message. Posts refused (muted, not a member, an unknown reply) are
refused alone. A batch the database refuses is stored again room by room, then
post by post, so that one bad post fails alone and its sender's later posts
fail with it (a re-send keeps their order).
"""

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, ngettext_lazy

from chat.access import ROOM_ARCHIVED, ROOM_GONE
from chat.formatting import message_html
from chat.identity import Identity
from chat.models import Attachment, Membership, Mention, Message, Mute, Room
from chat.services import ActionRefused
from chat.services.mentions import (
    HERE,
    Mentioned,
    RoomTexts,
    broadcast_word,
    mentions_resolve,
    mentions_resolve_rooms,
)
from chat.services.threads import thread_refusal, threads_stored
from integrations.outgoing import outgoing_messages_queue


@dataclass(frozen=True)
class Post:
    """A message someone asked to post."""

    identity: Identity
    text: str
    nonce: str | None = None
    reply_to: int | None = None  # the seq of the message it replies to
    attachments: tuple[int, ...] = ()  # ids of the sender's uploads to send with it
    # Whether a free name becomes a room with it; False from a connection opened in an
    # existing room, which is gone if its name is free now (renamed or deleted).
    may_create: bool = True
    # Sent again after "Notify all N people?": @all, @room or @here may notify many.
    confirm: bool = False
    # A line the server writes ("pinned", replying to the pinned message), not a person.
    system: str = ""
    thread: int | None = None  # the seq of the thread's root, for a reply in a thread
    # A reply in a thread also shown in the room, as a line quoting the thread's root.
    also_room: bool = False


@dataclass(frozen=True)
class Stored:
    message: Message
    created: bool  # False: the nonce was seen before and nothing new was stored
    mentioned: tuple[int, ...] = ()  # signed-up people it @mentions (user ids)


# What the database (or its driver, for text it can't encode) raises for a post.
UNSTORABLE = (DatabaseError, ValueError)

# A batch for one room: its name, its posts in order, who is in it (for @mentions).
Batch = tuple[str, list[Post], list[dict]]


class _RoomsGone(Exception):
    """Rooms deleted (in the admin) since they were cached."""

    def __init__(self, names: set[str]) -> None:
        super().__init__(", ".join(sorted(names)))
        self.names = names


# Rooms by name, so posting doesn't look each room up every time; the oldest go
# first past ROOMS_KEPT. A free name becomes a public room.
ROOMS_KEPT = 10_000
_rooms: dict[str, Room] = {}


def room_cached(room_name: str) -> Room | None:
    return _rooms.get(room_name)


def _room(room_name: str) -> Room:
    room = _rooms.get(room_name)
    if room is None:
        room = _rooms[room_name] = Room.objects.get_or_create(name=room_name)[0]
        if len(_rooms) > ROOMS_KEPT:
            del _rooms[next(iter(_rooms))]
    return room


def _rooms_of(names: list[str], creatable: set[str]) -> dict[str, Room]:
    """The rooms of these names, made (public) where there is none yet and the name is
    ``creatable``: two queries at most for the names not cached. A name with no room
    that isn't creatable is left out."""
    rooms = {name: _rooms[name] for name in names if name in _rooms}
    if missing := [name for name in names if name not in rooms]:
        found = {room.name: room for room in Room.objects.filter(name__in=missing)}
        if new := [name for name in missing if name not in found and name in creatable]:
            # Never a second room differing by case alone ("General" beside "general").
            taken = _taken_whatever_the_case(new)
            new = [name for name in new if name.casefold() not in taken]
        if new:
            Room.objects.bulk_create([Room(name=name) for name in new], ignore_conflicts=True)
            found |= {room.name: room for room in Room.objects.filter(name__in=new)}
        rooms |= found
        _rooms.update(found)
        while len(_rooms) > ROOMS_KEPT:
            del _rooms[next(iter(_rooms))]
    return rooms


def _taken_whatever_the_case(names: list[str]) -> set[str]:
    """Of ``names``, the casefolded ones a room has in another case. (One with the very
    name, made by another process a moment ago, is read below as if found.)"""
    query = Q()
    for name in names:
        query |= Q(name__iexact=name)
    rooms = Room.objects.filter(query).values_list("name", flat=True)
    return {name.casefold() for name in rooms if name not in names}


def room_forget(room_name: str) -> None:
    _rooms.pop(room_name, None)


def rooms_store(batches: list[Batch]) -> list[list[Stored | Exception] | Exception]:
    """Store several rooms' batches in one transaction: one commit for all.

    Returns, for each batch, what each of its posts became (Stored, or
    ActionRefused when its sender is muted, isn't a member, replies to nothing
    or names an upload that isn't theirs), or the database's error for the whole
    room. A nonce the same sender already used in the room gives back the stored
    message. The rooms' rows are locked in order of id while their seqs are
    taken, so writers in any number of processes get consecutive, unique seqs.
    """
    try:
        early = _mentions_early(batches)  # SQLite takes its write lock as a transaction begins
        with transaction.atomic():
            return _store_together(batches, early)
    except _RoomsGone as gone:
        for name in gone.names:
            room_forget(name)
        return rooms_store(batches)
    except UNSTORABLE as error:
        if len(batches) > 1:
            return [rooms_store([batch])[0] for batch in batches]
        return [_room_failed(batches[0], error)]


# Whom each post of a batch @mentions, found before the transaction, for a room as the
# poster has it cached: room name -> (its id, its kind then, who each post mentions).
Early = dict[str, tuple[int, str, list[list[Mentioned]]]]


def _mentions_early(batches: list[Batch]) -> Early:
    wanted = []
    for name, posts, present in batches:
        room = room_cached(name)
        if room is not None and any("@" in post.text for post in posts):
            texts = RoomTexts(room.pk, room.kind, [post.text for post in posts], present)
            wanted.append((name, texts))
    if not wanted:
        return {}
    found = mentions_resolve_rooms([texts for _, texts in wanted])
    return {
        name: (texts.room_id, texts.kind, people)
        for (name, texts), people in zip(wanted, found, strict=True)
    }


def messages_store(
    *, room_name: str, posts: list[Post], present: list[dict] = ()
) -> list[Stored | Exception]:
    """Store posts to one room under its next seqs, in order (see rooms_store); raises
    the database's error when a lone post can't be stored."""
    outcome = rooms_store([(room_name, posts, list(present))])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def message_store(*, room_name: str, identity: Identity, text: str, nonce: str | None):
    """Store one message; return it and whether it is new. Raises ActionRefused when
    the sender is muted in the room."""
    outcome = messages_store(room_name=room_name, posts=[Post(identity, text, nonce)])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome.message, outcome.created


def _room_failed(batch: Batch, error: Exception) -> list[Stored | Exception] | Exception:
    room_name, posts, present = batch
    if len(posts) > 1:
        return _store_one_by_one(room_name, posts, present)
    if isinstance(error, IntegrityError):
        # The same nonce raced in from another tab or process; that one won.
        room = _room(room_name)
        if stored := _messages_by_nonce([(room.pk, posts[0])]):
            return [Stored(next(iter(stored.values())), created=False)]
    return error


def _store_one_by_one(
    room_name: str, posts: list[Post], present: list[dict]
) -> list[Stored | Exception]:
    """After a room's batch failed: store its posts one at a time. Once a sender's post
    fails, their later posts in the batch fail too, so a re-send keeps their order."""
    outcomes: list[Stored | Exception] = []
    failed: dict[str, Exception] = {}
    for post in posts:
        if post.identity.key in failed:
            outcomes.append(failed[post.identity.key])
            continue
        try:
            outcome = messages_store(room_name=room_name, posts=[post], present=present)[0]
        except UNSTORABLE as exc:
            outcome = exc  # logged by messages_post, once per incident
        if isinstance(outcome, Exception) and not isinstance(outcome, ActionRefused):
            failed[post.identity.key] = outcome
        outcomes.append(outcome)
    return outcomes


def _store_together(
    batches: list[Batch], early: Early, *, reread: bool = True
) -> list[list[Stored | Exception]]:
    creatable = {name for name, posts, _ in batches if any(post.may_create for post in posts)}
    rooms = _rooms_of([name for name, _, _ in batches], creatable)
    if len(rooms) < len({name for name, _, _ in batches}):
        # Posts from connections whose room's name is free now: refused, not made a room.
        live = [batch for batch in batches if batch[0] in rooms]
        stored = iter(_store_together(live, early, reread=reread) if live else ())
        return [
            next(stored) if name in rooms else [ActionRefused("room_gone", ROOM_GONE)] * len(posts)
            for name, posts, _ in batches
        ]
    outsiders = _outsiders(rooms, batches)
    archived = {name for name, room in rooms.items() if room.archived_at is not None}
    if reread and (any(outsiders.values()) or archived):
        # A room in the cache may be an older one of that name (renamed or deleted since),
        # or brought back from the archive since: read those again, once.
        for name in [name for name, keys in outsiders.items() if keys] + list(archived):
            room_forget(name)
        return _store_together(batches, early, reread=False)
    placed = [(rooms[name].pk, post) for name, posts, _ in batches for post in posts]
    known = _messages_by_nonce(placed)
    mutes = _mutes(placed)
    named = _named(placed)
    uploads = _uploads(placed)
    reach = _broadcast_reach(placed)
    outcomes: list[list[Stored | Exception | None]] = []
    fresh: dict[str, list[tuple[int, Message]]] = {}  # room -> (post index, new message)
    repeats: list[tuple[int, int, tuple]] = []  # (batch, post, key of an earlier post)
    for number, (name, posts, present) in enumerate(batches):
        room = rooms[name]
        results: list[Stored | Exception | None] = [None] * len(posts)
        new_nonces: set[tuple] = set()
        for index, post in enumerate(posts):
            sender = post.identity.key
            key = (room.pk, sender, post.nonce)
            if post.nonce is not None and key in known:
                results[index] = Stored(known[key], created=False)
            elif name in archived:
                results[index] = ActionRefused("room_archived", ROOM_ARCHIVED)
            elif sender in outsiders.get(name, ()):
                results[index] = ActionRefused(
                    "forbidden", gettext_lazy("Only this room's members can post here.")
                )
            elif (room.pk, sender) in mutes:
                results[index] = _muted(mutes[room.pk, sender])
            elif post.nonce is not None and key in new_nonces:
                repeats.append((number, index, key))
            elif post.reply_to is not None and (room.pk, post.reply_to) not in named:
                results[index] = ActionRefused(
                    "unknown_message",
                    format_lazy(
                        gettext_lazy("There is no message {seq} here to reply to."),
                        seq=post.reply_to,
                    ),
                )
            elif post.thread is not None and (
                refusal := thread_refusal(named.get((room.pk, post.thread)), post.thread)
            ):
                results[index] = refusal
            elif any(uploads.get(i) != (room.pk, sender) for i in post.attachments):
                results[index] = ActionRefused(
                    "invalid_attachment",
                    gettext_lazy(
                        "An attachment isn't one of your uploads to this room waiting to be sent."
                    ),
                )
            elif room.pk in reach and (
                refusal := _broadcast_refusal(post, *reach[room.pk], present=len(present))
            ):
                results[index] = refusal
            else:
                new_nonces.add(key)
                message = _message_new(room, post, named.get((room.pk, post.reply_to)))
                fresh.setdefault(name, []).append((index, message))
                if post.thread is not None:
                    message.thread_root = named[(room.pk, post.thread)]
                    if post.also_room:  # right after it, in the room's timeline
                        message.room_copy = _room_copy(room, post, message.thread_root)
                        fresh[name].append((index, message.room_copy))
        outcomes.append(results)
    presence = {name: present for name, _, present in batches}
    mentioned = _store_fresh(rooms, fresh, presence, early)
    for number, (name, _, _) in enumerate(batches):
        for index, message in fresh.get(name, ()):
            if getattr(message, "is_room_copy", False):
                continue  # a thread reply's line in the room: it goes out with the reply
            outcomes[number][index] = Stored(
                message, created=True, mentioned=mentioned.get(id(message), ())
            )
            known[(message.room_id, message.sender_key, message.nonce)] = message
    for number, index, key in repeats:
        outcomes[number][index] = Stored(known[key], created=False)
    return outcomes


def _store_fresh(
    rooms: dict[str, Room],
    fresh: dict[str, list[tuple[int, Message]]],
    present: dict[str, list[dict]],
    early: Early,
) -> dict[int, tuple[int, ...]]:
    """Number and insert the new messages; returns, by id() of each new message, the
    signed-up people it @mentions other than its author."""
    if not fresh:
        return {}
    messages = [message for name in fresh for _, message in fresh[name]]
    for message in messages:  # before the rooms' rows are locked; text no database takes
        message.html = message_html(message.body)  # fails here as it would there
    # Whom they mention: found before the transaction for the room as cached (``early``),
    # else here; again once the room's row is locked if its kind changed meanwhile (rare).
    texts: dict[str, RoomTexts] = {}
    resolved: dict[str, tuple[str, list]] = {}  # room -> (the kind used, who each mentions)
    for name, numbered in fresh.items():
        if not any("@" in message.body for _, message in numbered):
            continue
        room = rooms[name]
        texts[name] = RoomTexts(
            room.pk, room.kind, [message.body for _, message in numbered], present.get(name, [])
        )
        found = early.get(name)
        if found is not None and found[0] == room.pk:
            resolved[name] = (found[1], [found[2][index] for index, _ in numbered])
    missing = [name for name in texts if name not in resolved]
    if missing:
        late = mentions_resolve_rooms([texts[name] for name in missing])
        resolved.update(
            (name, (texts[name].kind, people)) for name, people in zip(missing, late, strict=True)
        )
    now = timezone.now()
    taken = _seqs_take({rooms[name].pk: len(fresh[name]) for name in fresh}, now)
    # Deleted, renamed or archived since it was cached: read again, posts refused then.
    gone = {
        name
        for name in fresh
        if (row := taken.get(rooms[name].pk)) is None or row[0] != name or row[3] is not None
    }
    if gone:
        raise _RoomsGone(gone)
    mentioned: dict[int, tuple[int, ...]] = {}
    for name, numbered in fresh.items():
        _, kind, last_seq, _, _ = taken[rooms[name].pk]
        for seq, (_, message) in enumerate(numbered, start=last_seq - len(numbered) + 1):
            message.seq = seq
            message.created = now
        if name not in texts:
            continue
        kind_used, people_of = resolved[name]
        if kind != kind_used:
            (people_of,) = mentions_resolve_rooms([texts[name]._replace(kind=kind)])
        for (_, message), people in zip(numbered, people_of, strict=True):
            _mentions_keep(message, people, mentioned)
    _insert(messages, now)
    _attach(messages)
    if replies := [message for message in messages if message.thread is not None]:
        for reply in replies:
            if (copy := getattr(reply, "room_copy", None)) is not None:
                mentioned.pop(id(copy), None)  # counted once, in the thread
        threads_stored(replies, mentioned)
    mentions = [
        Mention(message=message, user_id=user_id, room_id=message.room_id, seq=message.seq)
        for message in messages
        for user_id in mentioned.get(id(message), ())
    ]
    if mentions:
        Mention.objects.bulk_create(mentions)
    if hooked := {room_id for room_id, row in taken.items() if row[4]}:
        outgoing_messages_queue([m for m in messages if m.room_id in hooked])
    return mentioned


def _seqs_take(counts: dict[int, int], now) -> dict[int, tuple[str, str, int, object, int]]:
    """Move each room's last seq on by its count, the rows locked in order of id; returns
    each room's (name, kind, new last seq, archived at, active outgoing webhooks) by id. A
    room deleted meanwhile is missing."""
    ids = sorted(counts)
    if connection.features.has_select_for_update:  # SQLite: the transaction locks it all
        list(Room.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    ops = connection.ops
    table = ops.quote_name(Room._meta.db_table)
    values = ", ".join(["(%s, %s)"] * len(ids))
    sql = (
        f"WITH counts (room, n) AS (VALUES {values}) "
        f"UPDATE {table} SET last_seq = last_seq + "
        f"(SELECT n FROM counts WHERE counts.room = {table}.id), last_message_at = %s "
        f"WHERE id IN (SELECT room FROM counts) RETURNING id, name, kind, last_seq, archived_at, "
        f"outgoing_webhooks_active"
    )
    params = [value for room in ids for value in (room, counts[room])]
    params.append(ops.adapt_datetimefield_value(now))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


# The columns a new message fills (the others start empty), with their types for
# PostgreSQL. Elsewhere at most INSERT_ROWS rows go in one statement, within every
# database's limit on parameters.
_COLUMNS = (
    ("room_id", "bigint"), ("seq", "bigint"), ("author_id", "bigint"),
    ("author_name", "text"), ("author_is_guest", "boolean"), ("author_is_bot", "boolean"),
    ("author_display", "text"), ("sender_key", "text"), ("body", "text"), ("html", "text"),
    ("nonce", "text"),
    ("reply_to_id", "bigint"), ("system", "text"), ("thread", "bigint"), ("mentions", "jsonb"),
)  # fmt: skip
INSERT_ROWS = 1000


def _insert(messages: list[Message], now) -> None:
    """One INSERT for the new messages (with their created time ``now``); each message
    gets its id. On PostgreSQL the rows go as one JSON document the server unpacks, so
    the statement's text stays the same however many there are and the driver quotes one
    string instead of every value."""
    ops = connection.ops
    table = ops.quote_name(Message._meta.db_table)
    names = [Message._meta.get_field(name).column for name, _ in _COLUMNS]
    columns = ", ".join(ops.quote_name(name) for name in [*names, "created"])
    created = ops.adapt_datetimefield_value(now)
    rows = [
        (
            m.room_id, m.seq, m.author_id, m.author_name, m.author_is_guest, m.author_is_bot,
            m.author_display, m.sender_key, m.body, m.html, m.nonce, m.reply_to_id, m.system,
            m.thread, m.mentions,
        )
        for m in messages
    ]  # fmt: skip
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            shape = ", ".join(
                f"{ops.quote_name(n)} {kind}" for n, (_, kind) in zip(names, _COLUMNS, strict=True)
            )
            sql = (
                f"INSERT INTO {table} ({columns}) SELECT r.*, %s::timestamptz "
                f"FROM json_to_recordset(%s::json) AS r ({shape}) RETURNING id"
            )
            document = json.dumps([dict(zip(names, row, strict=True)) for row in rows])
            cursor.execute(sql, [created, document])
            ids = cursor.fetchall()
        else:
            row = "(" + ", ".join(["%s"] * (len(_COLUMNS) + 1)) + ")"
            ids = []
            for start in range(0, len(rows), INSERT_ROWS):
                chunk = rows[start : start + INSERT_ROWS]
                values = ", ".join([row] * len(chunk))
                sql = f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING id"
                params = [
                    value for one in chunk for value in (*one[:-1], json.dumps(one[-1]), created)
                ]
                cursor.execute(sql, params)
                ids += cursor.fetchall()
    for message, (pk,) in zip(messages, ids, strict=True):
        message.pk = pk
        message._state.adding = False  # noqa: SLF001 - as Django's own inserts leave it
        message._state.db = connection.alias  # noqa: SLF001


# Every column of a message, in the order Django's model takes them positionally: a
# model built from positions skips the per-field defaults (a quarter of a post's CPU).
_MESSAGE_FIELDS = tuple(field.attname for field in Message._meta.concrete_fields)


def _message_new(room: Room, post: Post, reply_to: Message | None) -> Message:
    identity = post.identity
    values = dict.fromkeys(_MESSAGE_FIELDS)
    values.update(
        room_id=room.pk,
        reply_to_id=reply_to.pk if reply_to is not None else None,
        author_id=identity.user_id,
        author_name=identity.name,
        author_is_guest=identity.is_guest,
        author_is_bot=identity.is_bot,
        author_display=identity.face.display_name,
        sender_key=identity.key,
        body=post.text,
        html="",
        nonce=post.nonce,
        mentions=[],
        system=post.system,
        thread=post.thread,
    )
    message = Message(*values.values())
    message.room = room
    if reply_to is not None:
        message.reply_to = reply_to
    message.attachment_ids = post.attachments
    return message


def _room_copy(room: Room, post: Post, root: Message) -> Message:
    """The line a thread reply sent "also to the room" shows there: its text, quoting the
    thread's root (``system`` "thread_reply"); no nonce, no uploads, its mentions not
    counted again."""
    copy = _message_new(
        room, Post(post.identity, post.text, reply_to=root.seq, system="thread_reply"), root
    )
    copy.is_room_copy = True
    return copy


def _messages_by_nonce(placed: list[tuple[int, Post]]) -> dict[tuple, Message]:
    """Stored messages that used one of these posts' nonces in their rooms, by (room id,
    sender, nonce)."""
    wanted = {(room, post.identity.key, post.nonce) for room, post in placed if post.nonce}
    if not wanted:
        return {}
    if connection.vendor == "postgresql":  # one statement whose text doesn't grow
        table = connection.ops.quote_name(Message._meta.db_table)
        stored = Message.objects.raw(
            f"SELECT m.* FROM {table} m "
            "JOIN unnest(%s::bigint[], %s::text[], %s::text[]) AS w (room, sender, nonce) "
            "ON m.room_id = w.room AND m.sender_key = w.sender AND m.nonce = w.nonce "
            "WHERE m.nonce IS NOT NULL",
            [list(column) for column in zip(*wanted, strict=True)],
        )
    else:
        stored = Message.objects.filter(
            room_id__in={room for room, _, _ in wanted},
            sender_key__in={sender for _, sender, _ in wanted},
            nonce__in={nonce for _, _, nonce in wanted},
        )
    found = {(m.room_id, m.sender_key, m.nonce): m for m in stored}
    return {key: message for key, message in found.items() if key in wanted}


def _outsiders(rooms: dict[str, Room], batches: list[Batch]) -> dict[str, set[str]]:
    """Senders who aren't members of a private room or DM, by room (their access was
    checked when they connected, a webhook's when it was made; this catches a post on
    its way as they were removed, or as the free name they were in became a private
    room). Public rooms cost nothing here."""
    private = [(name, posts) for name, posts, _ in batches if rooms[name].private]
    if not private:
        return {}
    members = set(
        Membership.objects.filter(
            room_id__in={rooms[name].pk for name, _ in private},
            user_id__in={post.identity.user_id for _, posts in private for post in posts},
        ).values_list("room_id", "user_id")
    )
    return {
        name: {
            post.identity.key
            for post in posts
            if (rooms[name].pk, post.identity.user_id) not in members
            and not post.identity.is_webhook
        }
        for name, posts in private
    }


def _mutes(placed: list[tuple[int, Post]]) -> dict[tuple[int, str], Mute]:
    """The longest current mute of each of these senders in each room, by (room id,
    sender)."""
    current = Mute.objects.filter(
        room_id__in={room for room, _ in placed},
        sender_key__in={post.identity.key for _, post in placed},
        until__gt=timezone.now(),
    ).order_by("until")
    return {(mute.room_id, mute.sender_key): mute for mute in current}


def muted_refusal(room_id: int, sender_key: str) -> ActionRefused | None:
    """``muted`` if the sender is muted in the room now (for what is refused like a post
    though it isn't one: a slash command)."""
    current = Mute.objects.filter(room_id=room_id, sender_key=sender_key, until__gt=timezone.now())
    mute = current.order_by("-until").first()
    return None if mute is None else _muted(mute)


def _muted(mute: Mute) -> ActionRefused:
    seconds = (mute.until - timezone.now()).total_seconds()
    return ActionRefused(
        "muted",
        format_lazy(
            gettext_lazy("A moderator muted you in this room until {time} UTC."),
            time=f"{mute.until:%H:%M}",
        ),
        retry_after=round(seconds, 1),
    )


def _named(placed: list[tuple[int, Post]]) -> dict[tuple[int, int], Message]:
    """The messages these posts reply to or whose threads they go in, by (room id, seq);
    one query, only for such posts."""
    wanted = {(room, post.reply_to) for room, post in placed if post.reply_to is not None}
    wanted |= {(room, post.thread) for room, post in placed if post.thread is not None}
    if not wanted:
        return {}
    found = Message.objects.filter(
        room_id__in={room for room, _ in wanted}, seq__in={seq for _, seq in wanted}
    )
    return {(m.room_id, m.seq): m for m in found if (m.room_id, m.seq) in wanted}


def _uploads(placed: list[tuple[int, Post]]) -> dict[int, tuple[int, str]]:
    """The uploads these posts name that are still unsent: each one's (room id, uploader)."""
    ids = {i for _, post in placed for i in post.attachments}
    if not ids:
        return {}
    waiting = Attachment.objects.filter(pk__in=ids, message__isnull=True)
    return {pk: (room, sender) for pk, room, sender in
            waiting.values_list("pk", "room_id", "sender_key")}  # fmt: skip


def _attach(messages: list[Message]) -> None:
    """Give each new message the uploads it names (inside the transaction storing them);
    an upload another message took meanwhile fails the batch."""
    for message in messages:
        ids = getattr(message, "attachment_ids", ())
        if not ids:
            continue
        taken = Attachment.objects.filter(pk__in=ids, message__isnull=True).update(message=message)
        if taken != len(ids):
            raise IntegrityError("an attachment was sent with another message meanwhile")
        message.attachment_rows = list(Attachment.objects.filter(pk__in=ids).order_by("pk"))


def _broadcast_reach(placed: list[tuple[int, Post]]) -> dict[int, tuple[bool, int]]:
    """For each room a post @all's, @room's or @here's: whether those are allowed there,
    and how many members it has (one query, only for such posts)."""
    rooms = {room for room, post in placed if broadcast_word(post.text)}
    if not rooms:
        return {}
    rows = (
        Room.objects.filter(pk__in=rooms)
        .annotate(members=Count("memberships", filter=Q(memberships__user__is_active=True)))
        .values_list("pk", "all_mentions", "members")
    )
    return {pk: (allowed, members) for pk, allowed, members in rows}


def _broadcast_refusal(
    post: Post, allowed: bool, members: int, *, present: int
) -> ActionRefused | None:
    """Why a post with @all, @room or @here can't go as it is: they are off in the room,
    or it would notify more than CHAT_BROADCAST_CONFIRM people and isn't confirmed."""
    word = broadcast_word(post.text)
    if not allowed:
        return ActionRefused(
            "all_mentions_off",
            format_lazy(
                gettext_lazy("@{word} is turned off in this room; mention people by name."),
                word=word,
            ),
        )
    people = present if word == HERE else members
    if post.confirm or people <= settings.CHAT_BROADCAST_CONFIRM:
        return None
    return ActionRefused(
        "confirm_required",
        format_lazy(
            ngettext_lazy(
                '@{word} would notify {people} person; send it again with "confirm": true '
                "to notify them all.",
                '@{word} would notify {people} people; send it again with "confirm": true '
                "to notify them all.",
                people,
            ),
            word=word,
            people=people,
        ),  # fmt: skip
        extra={"people": people},
    )


def _mentions_keep(message: Message, people, users: dict[int, tuple[int, ...]]) -> None:
    message.mentions = [person.person_id for person in people if person.listed]
    others = (p.user_id for p in people if p.user_id not in (None, message.author_id))
    users[id(message)] = tuple(dict.fromkeys(others))


def mentions_set(
    room_id: int, messages: list[Message], present: list[dict]
) -> list[tuple[int, ...]]:
    """Record who each message of one room @mentions (an edit's new text, say); returns,
    for each, the signed-up people it mentions other than its author."""
    if not any("@" in message.body for message in messages):
        return [()] * len(messages)
    mentioned = mentions_resolve(
        room_id=room_id, texts=[message.body for message in messages], present=list(present)
    )
    users: dict[int, tuple[int, ...]] = {}
    for message, people in zip(messages, mentioned, strict=True):
        _mentions_keep(message, people, users)
    return [users[id(message)] for message in messages]
