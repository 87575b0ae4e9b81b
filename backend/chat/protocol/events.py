"""Frames the server sends, declared once and serialized once.

A broadcast frame is turned into JSON text a single time by the poster and
carried through the channel layer as that text, so fanning it out to every
member costs no further encoding.
"""

import json
from typing import Literal, NotRequired, TypedDict

from django.urls import reverse
from django.utils.functional import Promise

from chat.formatting import html_text, inline_html, plain_text
from chat.models import Attachment, Message, Reaction
from chat.rooms import public_person_id


class ReactionJSON(TypedDict):
    emoji: str
    count: int
    users: list[str]  # the names of those who gave it, first first
    uids: list[str]  # their public ids, in the same order


class ReplyJSON(TypedDict):
    """What a reply shows of the message it replies to."""

    seq: int
    user: str
    snippet: str  # the start of its text ("" when deleted)
    deleted: bool


class AttachmentJSON(TypedDict):
    id: int
    url: str
    name: str
    size: int
    content_type: str  # a verified image's type, else application/octet-stream
    thumbnail_url: str | None  # images only


class PreviewJSON(TypedDict):
    """What a message's first link's page says about itself (plain text)."""

    url: str
    title: str
    description: str
    site_name: str
    image_url: str | None  # a thumbnail of its image, served by the chat


class ThreadSummaryJSON(TypedDict):
    replies: int  # not deleted
    last_seq: int
    last_at: str
    people: list[dict]  # who replied lately, latest first: {"uid", "user", "name"}


class MessageEvent(TypedDict):
    type: Literal["message"]
    seq: int
    message: str  # the text as its author wrote it
    html: str  # the text as safe HTML to show (chat.formatting); "" when deleted
    edited_at: str | None
    reactions: list[ReactionJSON]  # empty when none
    reply_to: ReplyJSON | None
    attachments: list[AttachmentJSON]  # empty when none
    uid: str
    user: str
    guest: bool
    bot: bool  # a bot account or a webhook posted it
    sent_at: str
    nonce: str | None
    deleted: NotRequired[bool]
    mentions: NotRequired[list[str]]  # public ids of the people it @mentions
    name: NotRequired[str]  # the author's display name when they posted it
    system: NotRequired[str]  # a line the server wrote ("pinned": reply_to was pinned)
    preview: NotRequired["PreviewJSON"]  # its first link's page, once fetched
    thread: NotRequired[int]  # a reply in a thread: the seq of its root
    thread_summary: NotRequired["ThreadSummaryJSON"]  # a root with replies: its thread


class ReadyEvent(TypedDict):
    type: Literal["ready"]
    last_seq: int
    truncated: NotRequired[bool]


class IdentityEvent(TypedDict):
    type: Literal["identity"]
    id: str
    user: str
    guest: bool
    staff: bool
    # A signed-up person's own display name, status and Do Not Disturb, when set.
    name: NotRequired[str]
    status: NotRequired[dict]
    dnd_until: NotRequired[str]


class PersonJSON(TypedDict):
    id: str
    user: str
    guest: bool


class PresenceEvent(TypedDict):
    type: Literal["presence"]
    users: list[PersonJSON]
    v: int


class JoinEvent(TypedDict):
    type: Literal["join"]
    user: PersonJSON
    v: int


class LeaveEvent(TypedDict):
    type: Literal["leave"]
    user: PersonJSON
    v: int


class TypingEvent(TypedDict):
    type: Literal["typing"]
    user: PersonJSON


class ReactionsEvent(TypedDict):
    type: Literal["reactions"]
    seq: int
    reactions: list[ReactionJSON]


class EditEvent(TypedDict):
    type: Literal["edit"]
    seq: int
    message: str
    html: str
    edited_at: str
    mentions: list[str]  # public ids of the people the new text @mentions


class DeleteEvent(TypedDict):
    type: Literal["delete"]
    seq: int


class MuteEvent(TypedDict):
    type: Literal["mute"]
    user: str
    until: str


# New messages in a room of the person's sidebar (any room, this one included): the
# highest new seq, and the last one's author and start, for a notification.
ActivityEvent = TypedDict(
    "ActivityEvent",
    {
        "type": Literal["activity"],
        "room": str,
        "seq": int,
        "from": str,
        "text": str,
        "mention": bool,  # one of them @mentions this person
        "dm": bool,
    },
)


class ReadEvent(TypedDict):
    type: Literal["read"]
    room: str
    seq: int


class RoomsEvent(TypedDict):
    """The person's rooms changed (added, removed, a new DM): fetch them again."""

    type: Literal["rooms"]


class MembersEvent(TypedDict):
    """Who is a member of this room changed: fetch its members again."""

    type: Literal["members"]


class RoomEvent(TypedDict):
    """The room's topic, description or archived state changed (to pages open in it)."""

    type: Literal["room"]
    room: str
    topic: str  # inline Markdown as typed
    topic_html: str  # the topic as safe inline HTML
    description: str
    archived: bool


class CommandReplyEvent(TypedDict):
    """A slash command the connection sent under ``nonce`` ran: its answer ``text`` for the
    sender alone, or ``null`` when the answer was posted to the room (integrations.commands)."""

    type: Literal["command_reply"]
    command: str
    nonce: str | None
    text: str | None


class PreviewEvent(TypedDict):
    """Message ``seq``'s link preview arrived, or (``null``) its author removed it."""

    type: Literal["preview"]
    seq: int
    preview: PreviewJSON | None


class ThreadSummaryEvent(TypedDict):
    """The thread at ``seq`` changed (a reply came or went); ``null``: none is left."""

    type: Literal["thread_summary"]
    seq: int
    thread_summary: ThreadSummaryJSON | None


class PinJSON(TypedDict):
    seq: int
    pinned_by: str  # the name of who pinned it
    pinned_at: str
    message: MessageEvent


class PinsEvent(TypedDict):
    """The room's pins changed: all of them as they now are, newest first."""

    type: Literal["pins"]
    pins: list[PinJSON]


class ErrorEvent(TypedDict):
    type: Literal["error"]
    code: str
    detail: str
    retry_after: NotRequired[float]
    nonce: NotRequired[str]


ServerEvent = (
    MessageEvent
    | ReadyEvent
    | IdentityEvent
    | PresenceEvent
    | JoinEvent
    | LeaveEvent
    | TypingEvent
    | EditEvent
    | ReactionsEvent
    | DeleteEvent
    | MuteEvent
    | ActivityEvent
    | ReadEvent
    | RoomsEvent
    | MembersEvent
    | RoomEvent
    | PinsEvent
    | PreviewEvent
    | CommandReplyEvent
    | ThreadSummaryEvent
    | ErrorEvent
)

# Channel-layer message types (the consumer has a handler for each).
GROUP_MESSAGES_TYPE = "chat.messages"  # {"frames": [[seq, <encoded message frame>], ...]}
GROUP_EVENT_TYPE = "chat.event"  # {"text": <encoded frame>}: presence, edits, reactions, deletions
TYPING_TYPE = "chat.typing"  # {"text": <encoded frame>, "from": <person id>}
IDENTITY_CHANGED_TYPE = "identity.changed"  # {"name": str}
# {"v": int, "text": encoded join or leave}; without text: the room's version
PRESENCE_TYPE = "chat.presence"
PROFILE_CHANGED_TYPE = "chat.profile"  # {"face": {...}}: a person's display name or status changed
# To a person: the language of their profile (error details follow it): {"language": code or ""}
LANGUAGE_CHANGED_TYPE = "chat.language"
# To a room's activity group (members' sidebars): {"room", "seq", "from", "text",
# "mentions": [user ids], "dm": bool}
ACTIVITY_TYPE = "chat.activity"
READ_TYPE = "chat.read"  # to a person: {"room", "seq"}
# To a person: their membership of "room" changed; to a room: who may read it changed.
ACCESS_TYPE = "chat.access"  # {"room": str}
# To a person: they logged out somewhere, or their account changed (password, staff,
# name, active); what a process kept of them is read again.
CREDENTIALS_TYPE = "chat.credentials"  # {"session": digest of a session that ended, or none}


def event_encode(event: ServerEvent) -> str:
    """The frame's text; an error's detail as translated in the active language, unless it
    was given as text (a connection writes it in its own: chat.realtime.session)."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=_text)


def _text(value) -> str:
    if isinstance(value, Promise):  # a lazy translation
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def iso_utc(moment) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def attachment_json(attachment: Attachment) -> AttachmentJSON:
    url = reverse("attachment", args=[attachment.key, attachment.name])
    return {
        "id": attachment.pk, "url": url, "name": attachment.name, "size": attachment.size,
        "content_type": attachment.content_type,
        "thumbnail_url": reverse("attachment_thumbnail", args=[attachment.key])
        if attachment.thumbnail else None,
    }  # fmt: skip


SNIPPET_LENGTH = 120


def reply_json(original: Message | None) -> ReplyJSON | None:
    if original is None:
        return None
    deleted = original.deleted_at is not None
    # Its words, not the Markdown typed ("**done**" quoted as "done").
    text = (
        "" if deleted else html_text(original.html) if original.html else plain_text(original.body)
    )
    if len(text) > SNIPPET_LENGTH:
        text = text[: SNIPPET_LENGTH - 1].rstrip() + "…"
    return {"seq": original.seq, "user": original.author_name, "snippet": text, "deleted": deleted}


def reactions_json(reactions: list[Reaction]) -> list[ReactionJSON]:
    """Reactions grouped by emoji, each emoji where it was first given."""
    grouped: dict[str, ReactionJSON] = {}
    for reaction in reactions:
        entry = grouped.setdefault(
            reaction.emoji, {"emoji": reaction.emoji, "count": 0, "users": [], "uids": []}
        )
        entry["count"] += 1
        entry["users"].append(reaction.name)
        entry["uids"].append(public_person_id(reaction.sender_key))
    return list(grouped.values())


def message_event(message: Message) -> MessageEvent:
    """A stored message as a frame; a deleted one keeps its seq but not its text.
    Reactions and attachments come from ``message.reaction_rows`` and
    ``message.attachment_rows`` when the reader fetched them (chat.selectors, or the
    poster for a new message)."""
    event: MessageEvent = {
        "type": "message",
        "seq": message.seq,
        "message": message.body,
        "html": message.html,
        "edited_at": iso_utc(message.edited_at) if message.edited_at else None,
        "reactions": reactions_json(getattr(message, "reaction_rows", ())),
        "reply_to": reply_json(message.reply_to) if message.reply_to_id else None,
        "attachments": [attachment_json(a) for a in getattr(message, "attachment_rows", ())],
        "uid": public_person_id(message.sender_key),
        "user": message.author_name,
        "guest": message.author_is_guest,
        "bot": message.author_is_bot,
        "sent_at": iso_utc(message.created),
        "nonce": message.nonce,
    }
    if message.deleted_at is not None:
        event["message"] = event["html"] = ""
        event["reactions"] = []
        event["reply_to"] = None
        event["attachments"] = []
        event["deleted"] = True
    elif message.mentions:
        event["mentions"] = message.mentions
    if message.author_display:
        event["name"] = message.author_display
    if message.system:
        event["system"] = message.system
    if message.preview and message.deleted_at is None:
        event["preview"] = message.preview
    if message.thread is not None:
        event["thread"] = message.thread
    elif message.thread_replies and (summary := summary_json(message)):
        event["thread_summary"] = summary
    return event


def summary_json(message: Message) -> ThreadSummaryJSON | None:
    """A thread root's ``thread_summary`` as stored in it, or None when it has no replies."""
    if not message.thread_replies:
        return None
    return {
        "replies": message.thread_replies,
        "last_seq": message.thread_last_seq,
        "last_at": iso_utc(message.thread_last_at) if message.thread_last_at else None,
        "people": message.thread_people or [],
    }


def ready_event(last_seq: int, *, truncated: bool = False) -> ReadyEvent:
    event: ReadyEvent = {"type": "ready", "last_seq": last_seq}
    if truncated:
        event["truncated"] = True
    return event


def identity_event(
    person_id: str, name: str, *, guest: bool, staff: bool, face: dict | None = None
) -> IdentityEvent:
    event = {"type": "identity", "id": person_id, "user": name, "guest": guest, "staff": staff}
    return {**event, **face} if face else event


class SharedEvent(dict):
    """An event sent as it is to many connections (a room's presence snapshot, tens of
    kilobytes in a room of a thousand): encoded once, when first sent, and let go with
    the event."""

    __slots__ = ("_text",)

    def text(self) -> str:
        try:
            return self._text
        except AttributeError:
            self._text = event_encode(self)
            return self._text


def event_text(event: ServerEvent) -> str:
    """The event encoded: once for all its connections if it is a ``SharedEvent``."""
    return event.text() if isinstance(event, SharedEvent) else event_encode(event)


def presence_event(users: list[PersonJSON], version: int) -> PresenceEvent:
    return SharedEvent(type="presence", users=users, v=version)


def join_event(user: PersonJSON, version: int) -> JoinEvent:
    return {"type": "join", "user": user, "v": version}


def leave_event(user: PersonJSON, version: int) -> LeaveEvent:
    return {"type": "leave", "user": user, "v": version}


def presence_changes_text(frames: list[str], version: int) -> str:
    """Consecutive ``join``/``leave`` frames (already encoded) as one
    ``presence_changes`` frame; ``version`` is the last one's."""
    return f'{{"type":"presence_changes","v":{version},"changes":[{",".join(frames)}]}}'


def typing_event(user: PersonJSON) -> TypingEvent:
    return {"type": "typing", "user": user}


def edit_event(message: Message) -> EditEvent:
    return {
        "type": "edit", "seq": message.seq, "message": message.body, "html": message.html,
        "edited_at": iso_utc(message.edited_at), "mentions": list(message.mentions),
    }  # fmt: skip


def reactions_event(seq: int, reactions: list[Reaction]) -> ReactionsEvent:
    return {"type": "reactions", "seq": seq, "reactions": reactions_json(reactions)}


def delete_event(seq: int) -> DeleteEvent:
    return {"type": "delete", "seq": seq}


def mute_event(name: str, until) -> MuteEvent:
    return {"type": "mute", "user": name, "until": iso_utc(until)}


def activity_event(
    room: str, seq: int, *, author: str, text: str, mention: bool, dm: bool
) -> ActivityEvent:
    return {
        "type": "activity", "room": room, "seq": seq, "from": author, "text": text,
        "mention": mention, "dm": dm,
    }  # fmt: skip


def read_event(room: str, seq: int) -> ReadEvent:
    return {"type": "read", "room": room, "seq": seq}


def room_event(room) -> RoomEvent:
    return {
        "type": "room", "room": room.name, "topic": room.topic,
        "topic_html": inline_html(room.topic), "description": room.description,
        "archived": room.archived_at is not None,
    }  # fmt: skip


def thread_summary_event(seq: int, summary: ThreadSummaryJSON | None) -> ThreadSummaryEvent:
    return {"type": "thread_summary", "seq": seq, "thread_summary": summary}


def preview_event(seq: int, preview: PreviewJSON | None) -> PreviewEvent:
    return {"type": "preview", "seq": seq, "preview": preview}


def command_reply_event(command: str, nonce: str | None, text: str | None) -> CommandReplyEvent:
    return {"type": "command_reply", "command": f"/{command}", "nonce": nonce, "text": text}


def pin_json(pin) -> PinJSON:
    return {
        "seq": pin.message.seq, "pinned_by": pin.pinned_by_name,
        "pinned_at": iso_utc(pin.created), "message": message_event(pin.message),
    }  # fmt: skip


def pins_event(pins: list) -> PinsEvent:
    return {"type": "pins", "pins": [pin_json(pin) for pin in pins]}


ROOMS_EVENT: RoomsEvent = {"type": "rooms"}
MEMBERS_EVENT: MembersEvent = {"type": "members"}


def error_event(
    code: str, detail: str, retry_after: float | None = None, nonce: str | None = None,
    extra: dict | None = None,
) -> ErrorEvent:  # fmt: skip
    event: ErrorEvent = {"type": "error", "code": code, "detail": detail, **(extra or {})}
    if retry_after is not None:
        event["retry_after"] = retry_after
    if nonce is not None:
        event["nonce"] = nonce
    return event
