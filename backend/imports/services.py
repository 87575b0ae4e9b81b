"""Importing a Slack export (``import_slack``): people, rooms and their history, in one
transaction (all of it or nothing).

People: each Slack account becomes an account here that waits for its owner
(imports.claims), named after their Slack handle (with "-2"... when that name or one
that looks like it is taken), with their display name and time zone. Someone who has
an account here already, with the same address confirmed, keeps theirs. Bots get no
account: their messages keep the bot's name and show as a bot's.

Rooms: public channels become public rooms, private channels and group direct
messages private rooms, direct messages the chat's direct messages; with their
members, topic (a channel's purpose is the room's description) and whether they were
archived. A name that is taken here (whatever the case) refuses the import.

Messages are stored as a posted message is (the same Markdown, its HTML rendered,
whom it @mentions), but at their Slack times and numbered in time order; threads,
reactions and edits come along, a file as a link to it in Slack. Slack's own lines
(someone joined, left, changed the topic, pinned...) are left out. The rooms' seq
counters, read marks and the search index are left as the chat keeps them: what
was imported is read, nothing of it notifies anyone.
"""

import functools
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from chat.access import dm_name, name_reserved
from chat.formatting import message_html
from chat.identity import username_alike
from chat.models import Membership, Mention, Message, Reaction, Room, ThreadFollow
from chat.rooms import InvalidRoomName, is_name_char, public_person_id, room_name_clean
from chat.services.mentions import BROADCAST_WORDS
from chat.services.reactions import REACTIONS_MAX
from chat.services.rooms import room_name_taken_as
from chat.services.threads import summary_refresh
from imports.models import SlackPerson
from imports.mrkdwn import emoji_of, markdown_link, slack_markdown
from imports.slack import ExportRefused, SlackChannel, SlackExport, SlackUser, slack_ts
from organization.mail import email_normalized
from people.groups import group_named
from people.models import Profile
from people.profiles import ProfileInvalid, display_name_clean

# Messages of these kinds are kept (besides those of no kind: what people wrote).
KEPT_SUBTYPES = frozenset(
    {"bot_message", "me_message", "file_share", "thread_broadcast", "reply_broadcast",
     "slackbot_response"}
)  # fmt: skip
BROADCAST_REPLIES = frozenset({"thread_broadcast", "reply_broadcast"})
TOPIC_MAX_LENGTH = Room._meta.get_field("topic").max_length
DESCRIPTION_MAX_LENGTH = Room._meta.get_field("description").max_length
AUTHOR_NAME_MAX_LENGTH = Message._meta.get_field("author_name").max_length
USERNAME_MAX_LENGTH = 150
INSERT_BATCH = 500


@dataclass(frozen=True)
class Person:
    """Someone of the export as they are here."""

    name: str  # their username, or a bot's name
    user_id: int | None = None  # None for a bot
    display: str = ""

    @property
    def key(self) -> str:
        return f"user:{self.user_id}"


@dataclass
class Imported:
    """What an import brought in."""

    rooms: int = 0
    private: int = 0
    direct: int = 0
    messages: int = 0
    accounts_new: int = 0  # waiting for their owners to sign up
    accounts_kept: int = 0  # people who had an account here already
    notes: list[str] = field(default_factory=list)  # what came in otherwise than asked


def slack_import(*, path: Path, renames: dict[str, str] | None = None) -> Imported:
    """Import the Slack export at ``path``; ``renames``: room names to use instead, by
    Slack conversation (a channel's name, a direct message's id). Raises ExportRefused
    (nothing imported) for an export that isn't one or a room name that is taken."""
    imported = Imported()
    with SlackExport(path) as export:
        users = export.users()
        channels = export.channels()
        with transaction.atomic():
            names = _room_names(channels, renames or {})
            people = _people_import(users, imported)
            usernames = {slack_id: person.name for slack_id, person in people.items()}
            rooms = {c.id: names[c.id] for c in channels if c.kind != "dm" and c.id in names}
            for channel in channels:
                _channel_import(export, channel, names.get(channel.id), people, imported,
                                usernames=usernames, rooms=rooms)  # fmt: skip
    return imported


# Rooms


def _room_names(channels: list[SlackChannel], renames: dict[str, str]) -> dict[str, str]:
    """The room name of each conversation (a direct message only when renamed), by
    Slack id; refuses a name that is taken here or that two conversations would take."""
    unknown = set(renames) - {_conversation(channel) for channel in channels}
    if unknown:
        listed = ", ".join(sorted(unknown))
        raise ExportRefused(f"--rename names what isn't a conversation of the export: {listed}.")
    names: dict[str, str] = {}
    taken: dict[str, str] = {}  # casefolded room name -> the conversation taking it
    for channel in channels:
        conversation = _conversation(channel)
        if conversation in renames:
            name = _renamed(conversation, renames[conversation])
        elif channel.kind == "dm":
            continue
        else:
            name = _room_name(channel)
        if (other := taken.get(name.casefold())) is not None:
            raise ExportRefused(
                f"Slack's {other} and {_shown(channel)} would both be the room “{name}”: "
                f"import one under another name with --rename {conversation}=<name>."
            )
        if (existing := room_name_taken_as(name)) is not None:
            raise ExportRefused(
                f"There is already a room called “{existing}” here, so Slack's "
                f"{_shown(channel)} can't become it: import it under another name with "
                f"--rename {conversation}=<name> (or rename that room in the admin first)."
            )
        names[channel.id] = name
        taken[name.casefold()] = _shown(channel)
    return names


def _conversation(channel: SlackChannel) -> str:
    """What --rename calls a conversation: a channel's name, a direct message's id."""
    return channel.id if channel.kind == "dm" else channel.name


def _shown(channel: SlackChannel) -> str:
    return f"direct message {channel.id}" if channel.kind == "dm" else f"#{channel.name}"


def _renamed(conversation: str, wanted: str) -> str:
    try:
        name = room_name_clean(wanted.strip())
    except InvalidRoomName as exc:
        raise ExportRefused(f"--rename {conversation}={wanted}: {exc}") from None
    if name_reserved(name):
        raise ExportRefused(
            f"--rename {conversation}={wanted}: names like “dm-1-2” are kept for direct messages."
        )
    return name


def _room_name(channel: SlackChannel) -> str:
    """A Slack channel's name as a room name: any character a room name can't have
    becomes "-"."""
    raw = unicodedata.normalize("NFC", channel.name)
    name = "".join(char if is_name_char(char) else "-" for char in raw)
    try:
        name = room_name_clean(name)
    except InvalidRoomName as exc:
        raise ExportRefused(
            f"Slack's #{channel.name} can't be a room here ({exc}): import it under another "
            f"name with --rename {channel.name}=<name>."
        ) from None
    if name_reserved(name):
        raise ExportRefused(
            f"Slack's #{channel.name} has a name kept here for direct messages: import it "
            f"under another name with --rename {channel.name}=<name>."
        )
    return name


# People


def _people_import(users: list[SlackUser], imported: Imported) -> dict[str, Person]:
    """Everyone of the export as they are here, by Slack id: an account each (theirs
    already, or one made for them), or a bot's name."""
    people: dict[str, Person] = {}
    known = {
        person.slack_id: person
        for person in SlackPerson.objects.filter(slack_id__in=[u.id for u in users])
    }
    for slack_user in users:
        if slack_user.bot:
            people[slack_user.id] = Person(slack_user.display_name or slack_user.name or "bot")
            continue
        user = _account_of(slack_user, known.get(slack_user.id), imported)
        profile = Profile.objects.filter(user=user).first()
        people[slack_user.id] = Person(
            user.username, user.pk, profile.display_name if profile is not None else ""
        )
    return people


def _account_of(slack_user: SlackUser, known: SlackPerson | None, imported: Imported):
    """Their account here: the one an earlier import gave this Slack account or address,
    the one with this address confirmed, or a new one waiting for them."""
    if known is not None:
        imported.accounts_kept += 1
        return known.user
    email = _email(slack_user.email)
    joined = None
    user = None
    if email:
        confirmed = EmailAddress.objects.filter(email__iexact=email, verified=True)
        if (address := confirmed.select_related("user").first()) is not None:
            user, joined = address.user, timezone.now()
        elif earlier := SlackPerson.objects.filter(email=email).select_related("user").first():
            user, joined = earlier.user, earlier.joined
    if user is not None:
        imported.accounts_kept += 1
    else:
        user = _account_new(slack_user, imported)
    SlackPerson.objects.create(slack_id=slack_user.id, user=user, email=email, joined=joined)
    return user


def _account_new(slack_user: SlackUser, imported: Imported):
    username = _username_free(slack_user.name, fallback=f"slack-{slack_user.id.lower()}")
    if username != slack_user.name:
        imported.notes.append(
            f"Slack's @{slack_user.name or slack_user.id} is @{username} here (the name was "
            "taken, or looks like one that is)."
        )
    user = get_user_model().objects.create_user(username=username, password=None, is_active=False)
    try:
        display = display_name_clean(slack_user.display_name)
    except ProfileInvalid:
        display = ""
    time_zone = slack_user.time_zone if slack_user.time_zone in _time_zones() else ""
    if display or time_zone:
        Profile.objects.create(user=user, display_name=display, time_zone=time_zone)
    imported.accounts_new += 1
    return user


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _email(raw: str) -> str:
    email = email_normalized(raw) if raw else ""
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _username_free(wanted: str, *, fallback: str) -> str:
    """``wanted`` as a username (Django's characters: letters, digits, @.+-_), with
    "-2", "-3"... when it or a name that looks like it is taken."""
    base = re.sub(r"[^\w.@+-]", "", unicodedata.normalize("NFC", wanted))
    base = base[: USERNAME_MAX_LENGTH - 8] or fallback
    candidate, number = base, 1
    while _username_taken(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _username_taken(name: str) -> bool:
    return (
        get_user_model().objects.filter(username__iexact=name).exists()
        or username_alike(name) is not None
        or name.lower() in BROADCAST_WORDS
        or group_named(name)
    )


# Conversations


def _channel_import(
    export: SlackExport,
    channel: SlackChannel,
    name: str | None,
    people: dict[str, Person],
    imported: Imported,
    *,
    usernames: dict[str, str],
    rooms: dict[str, str],
) -> None:
    members = list({people[m].user_id: people[m] for m in channel.members
                    if m in people and people[m].user_id is not None}.values())  # fmt: skip
    kind, pair = Room.Kind.PRIVATE, None
    if channel.kind == "public":
        kind = Room.Kind.PUBLIC
    elif channel.kind == "dm" and name is None:
        if len(members) != 2:
            imported.notes.append(
                f"Slack's direct message {channel.id} is not between two people here (notes "
                "to oneself, or with a bot): not imported."
            )
            return
        low, high = sorted(person.user_id for person in members)
        name, kind, pair = dm_name(low, high), Room.Kind.DM, f"{low}:{high}"
        if Room.objects.filter(dm_pair=pair).exists() or room_name_taken_as(name):
            raise ExportRefused(
                f"{members[0].name} and {members[1].name} have direct messages here already, "
                f"so Slack's direct message {channel.id} can't become them: import it as a "
                f"private room with --rename {channel.id}=<name>."
            )
    created = _time(Decimal(channel.created)) if channel.created else timezone.now()
    room = Room.objects.create(
        name=name, kind=kind, dm_pair=pair, created=created,
        topic=_about(channel.topic, TOPIC_MAX_LENGTH, usernames, rooms),
        description=_about(channel.purpose, DESCRIPTION_MAX_LENGTH, usernames, rooms),
        archived_at=timezone.now() if channel.archived else None,
    )  # fmt: skip
    messages = _messages_store(
        room, export.messages(channel), people, usernames=usernames, rooms=rooms,
        members={person.user_id for person in members},
    )  # fmt: skip
    last_seq = len(messages)
    creator = people.get(channel.creator)
    Membership.objects.bulk_create(
        Membership(
            room=room, user_id=person.user_id, joined=created, chosen=True,
            is_owner=kind != Room.Kind.DM and creator is not None
            and creator.user_id == person.user_id,
            last_read_seq=last_seq, emailed_seq=last_seq,
        )
        for person in members
    )  # fmt: skip
    Room.objects.filter(pk=room.pk).update(
        last_seq=last_seq, last_message_at=messages[-1].created if messages else None
    )
    imported.rooms += 1
    imported.private += kind == Room.Kind.PRIVATE
    imported.direct += kind == Room.Kind.DM
    imported.messages += sum(not message.system for message in messages)


def _about(text: str, max_length: int, usernames, rooms) -> str:
    """A channel's topic or purpose as a room's topic (one line) or description."""
    text = slack_markdown(text, people=usernames, rooms=rooms).text
    if max_length == TOPIC_MAX_LENGTH:
        text = " ".join(text.split())
    return text[:max_length]


def _time(ts: Decimal) -> datetime:
    seconds = int(ts)
    return datetime.fromtimestamp(seconds, tz=UTC).replace(
        microsecond=min(int((ts - seconds) * 1_000_000), 999_999)
    )


# Messages


@dataclass
class _Built:
    """A message read from the export, before it is numbered and stored."""

    message: Message
    ts: Decimal
    thread_ts: Decimal | None
    broadcast: bool  # a thread reply also sent to the channel
    mentioned: list[int]  # user ids
    reactions: list[dict]


def _messages_store(
    room: Room, raw: list[dict], people: dict[str, Person], *, usernames, rooms, members: set[int]
) -> list[Message]:
    """Number the room's messages in time order and store them, with their threads,
    reactions and mentions; returns them in order of seq."""
    built = [b for b in (_built(room, message, people, usernames, rooms) for message in raw) if b]
    roots = {b.ts: b for b in built if b.thread_ts is None or b.thread_ts == b.ts}
    ordered: list[Message] = []
    copies: list[tuple[Message, Message]] = []  # (a reply's line in the room, its root)
    threads: dict[int, list[Message]] = {}  # root seq -> replies
    for b in built:
        message = b.message
        message.seq = len(ordered) + 1
        ordered.append(message)
        root = roots.get(b.thread_ts) if b.thread_ts is not None and b.thread_ts != b.ts else None
        if root is None:
            continue
        message.thread = root.message.seq
        threads.setdefault(message.thread, []).append(message)
        if b.broadcast:  # shown in the room too, as a line quoting the thread's root
            copy = _copy(message)
            copy.seq = len(ordered) + 1
            ordered.append(copy)
            copies.append((copy, root.message))
    Message.objects.bulk_create(ordered, batch_size=INSERT_BATCH)
    ids = dict(Message.objects.filter(room=room).values_list("seq", "pk"))
    for message in ordered:
        message.pk = ids[message.seq]
    for copy, root in copies:
        copy.reply_to_id = root.pk
    Message.objects.bulk_update([copy for copy, _ in copies], ["reply_to"], batch_size=INSERT_BATCH)
    _reactions_store(built, people)
    Mention.objects.bulk_create(
        (
            Mention(message=b.message, user_id=user_id, room=room, seq=b.message.seq)
            for b in built
            for user_id in b.mentioned
            if user_id in members and user_id != b.message.author_id
        ),
        batch_size=INSERT_BATCH,
    )
    for root_seq, replies in threads.items():
        summary_refresh(room.pk, root_seq)
        root = ordered[root_seq - 1]
        followers = {root.author_id, *(reply.author_id for reply in replies)} - {None}
        ThreadFollow.objects.bulk_create(
            ThreadFollow(user_id=user_id, room=room, root_seq=root_seq,
                         last_read_seq=replies[-1].seq)
            for user_id in followers
        )  # fmt: skip
    return ordered


def _built(room: Room, raw: dict, people: dict[str, Person], usernames, rooms) -> _Built | None:
    """One Slack message as a message here (not numbered yet), or None for one left out:
    Slack's own lines, and messages with nothing in them."""
    subtype = raw.get("subtype")
    if raw.get("type", "message") != "message" or (subtype and subtype not in KEPT_SUBTYPES):
        return None
    converted = slack_markdown(_string(raw.get("text")), people=usernames, rooms=rooms)
    lines = [converted.text] if converted.text else _attachments_text(raw, usernames, rooms)
    lines += [link for item in _list(raw.get("files")) if (link := _file_link(item))]
    body = "\n".join(lines).strip()
    if not body:
        return None
    ts = slack_ts(raw["ts"])
    created = _time(ts)
    edited = raw.get("edited") if isinstance(raw.get("edited"), dict) else None
    edited_ts = slack_ts(edited.get("ts")) if edited else None
    # Several Slack accounts may be one person here: each is mentioned once.
    mentioned = list(dict.fromkeys(people[i].user_id for i in converted.mentioned
                                   if people[i].user_id))  # fmt: skip
    listed = [public_person_id(f"user:{user_id}") for user_id in mentioned]
    if converted.broadcast:
        listed.append("here" if converted.broadcast == "here" else "all")
    message = Message(
        room=room, body=body, html=message_html(body), created=created, mentions=listed,
        edited_at=(_time(edited_ts) if edited_ts is not None else created) if edited else None,
        **_author(raw, people),
    )  # fmt: skip
    thread_ts = slack_ts(raw.get("thread_ts"))
    return _Built(
        message, ts, thread_ts, subtype in BROADCAST_REPLIES, mentioned,
        [r for r in _list(raw.get("reactions")) if isinstance(r, dict)],
    )  # fmt: skip


def _author(raw: dict, people: dict[str, Person]) -> dict:
    """Who wrote it: one of the people, a bot (by the name it posted under), or
    someone the export doesn't list (by the name Slack showed)."""
    slack_id = _string(raw.get("user"))
    person = people.get(slack_id)
    bot = raw.get("subtype") == "bot_message" or (person is not None and person.user_id is None)
    if person is not None and not bot:
        return {
            "author_id": person.user_id, "author_name": person.name,
            "author_display": person.display, "sender_key": person.key,
        }  # fmt: skip
    profile = raw.get("bot_profile") if bot else raw.get("user_profile")
    profile = profile if isinstance(profile, dict) else {}
    name = (
        _string(raw.get("username")) or _string(profile.get("name"))
        or _string(profile.get("real_name")) or (person.name if person else "")
        or slack_id or "slack"
    )  # fmt: skip
    sender = _string(raw.get("bot_id")) or slack_id or name
    return {
        "author_id": None, "author_name": name[:AUTHOR_NAME_MAX_LENGTH], "author_is_bot": bot,
        "sender_key": f"slack:{sender}"[:64],
    }  # fmt: skip


def _copy(reply: Message) -> Message:
    """A thread reply's line in the room (``system`` "thread_reply", replying to the
    root), as a reply sent "also to the room" has: its mentions counted once, in the
    thread."""
    return Message(
        room=reply.room, author_id=reply.author_id, author_name=reply.author_name,
        author_is_bot=reply.author_is_bot, author_display=reply.author_display,
        sender_key=reply.sender_key, body=reply.body, html=reply.html, created=reply.created,
        edited_at=reply.edited_at, mentions=reply.mentions, system="thread_reply",
    )  # fmt: skip


def _reactions_store(built: list[_Built], people: dict[str, Person]) -> None:
    """Each message's reactions: Slack's emoji as characters (a workspace's own emoji
    have none and are left out), at most REACTIONS_MAX different ones."""
    rows: list[Reaction] = []
    for b in built:
        given: set[tuple[str, str]] = set()
        emojis: list[str] = []
        for reaction in b.reactions:
            char = emoji_of(_string(reaction.get("name")))
            if char is None or (char not in emojis and len(emojis) >= REACTIONS_MAX):
                continue
            for slack_id in _list(reaction.get("users")):
                person = people.get(slack_id) if isinstance(slack_id, str) else None
                if person is None:
                    continue
                key = person.key if person.user_id else f"slack:{slack_id}"
                if (key, char) in given:
                    continue
                given.add((key, char))
                if char not in emojis:
                    emojis.append(char)
                rows.append(Reaction(message=b.message, sender_key=key, name=person.name,
                                     emoji=char, created=b.message.created))  # fmt: skip
    Reaction.objects.bulk_create(rows, batch_size=INSERT_BATCH)


def _file_link(item: object) -> str:
    """A file shared in Slack, as a link to it there (the export has no files)."""
    if not isinstance(item, dict) or item.get("mode") in ("tombstone", "hidden_by_limit"):
        return ""
    name = _string(item.get("title")) or _string(item.get("name"))
    url = _string(item.get("url_private")) or _string(item.get("permalink"))
    if not url:
        return name
    return markdown_link(name or url.rsplit("/", 1)[-1], url)


def _attachments_text(raw: dict, usernames, rooms) -> list[str]:
    """What a message without text (a bot's, often) shows: its attachments' text."""
    texts = []
    for item in _list(raw.get("attachments")):
        if isinstance(item, dict):
            text = _string(item.get("text")) or _string(item.get("fallback"))
            if text:
                texts.append(slack_markdown(text, people=usernames, rooms=rooms).text)
    return texts


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _list(value: object) -> list:
    return value if isinstance(value, list) else []
