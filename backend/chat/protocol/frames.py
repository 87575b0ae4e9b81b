"""Frames a client sends over the chat WebSocket, parsed into typed shapes.

Every way a frame can be wrong raises ``FrameError`` with a machine code and a
sentence for people; the consumer answers the sender with an ``error`` frame.
The codes are listed in docs/protocol.md.
"""

import json
from dataclasses import dataclass

import emoji
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.rooms import has_visible_content, marks_run_longest


class FrameError(Exception):
    """``nonce``: the nonce of the message frame refused, when it had a valid one (the
    sender's page then stops waiting for that message)."""

    def __init__(self, code: str, detail: str, nonce: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.nonce = nonce


NONCE_MAX_LENGTH = 64
# Combining marks on one base character: enough for any script's stacks (Vietnamese,
# Tibetan, Hebrew with cantillation), not for text that draws over other messages.
MESSAGE_MARKS_MAX = 8


@dataclass(frozen=True)
class SendMessage:
    """``{"message": "<text>", "nonce": "<client id>", "reply_to": <seq>,
    "attachments": [<id>, ...], "thread": <seq>, "also_room": true}``: post a message (all
    but the text optional; the text may be empty when there are attachments)."""

    text: str
    nonce: str | None = None
    reply_to: int | None = None
    attachments: tuple[int, ...] = ()  # ids of the sender's uploads to send with it
    confirm: bool = False  # notify everyone @all, @room or @here reaches, however many
    thread: int | None = None  # a reply in the thread of this seq (its root)
    also_room: bool = False  # a thread reply shown in the room too


@dataclass(frozen=True)
class Resume:
    """``{"type": "resume", "after": <seq>}``: replay the messages after ``seq``."""

    after: int


@dataclass(frozen=True)
class Typing:
    """``{"type": "typing"}``: I am typing (ephemeral, shown to the others)."""


@dataclass(frozen=True)
class Delete:
    """``{"type": "delete", "seq": <seq>}``: delete a message (its author, or staff)."""

    seq: int


@dataclass(frozen=True)
class Edit:
    """``{"type": "edit", "seq": <seq>, "message": "<text>"}``: give a message new text
    (its author within the edit window, or staff)."""

    seq: int
    text: str


@dataclass(frozen=True)
class React:
    """``{"type": "react", "seq": <seq>, "emoji": "👍"}``: give that emoji to a message,
    or take it back."""

    seq: int
    emoji: str


@dataclass(frozen=True)
class Mute:
    """``{"type": "mute", "seq": <seq>, "minutes": <n>}``: staff mute a message's author."""

    seq: int
    minutes: int


ClientFrame = SendMessage | Resume | Typing | Edit | React | Delete | Mute

BINARY_FRAME_ERROR = FrameError(
    "binary_frame", _("Binary frames are not supported; send JSON text frames.")
)


def _json_type_name(value: object):
    return {
        type(None): "null",
        bool: _("a boolean"),
        int: _("a number"),
        float: _("a number"),
        list: _("an array"),
        dict: _("an object"),
        str: _("a string"),
    }.get(type(value), type(value).__name__)


def frame_parse(text: str, *, max_length: int) -> ClientFrame:
    """Parse one text frame into a typed client frame, or raise FrameError."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FrameError(
            "invalid_json",
            format_lazy(_("The frame is not valid JSON ({problem})."), problem=str(exc)),
        ) from None
    except RecursionError:
        raise FrameError("invalid_json", _("The frame's JSON is nested too deeply.")) from None
    if not isinstance(data, dict):
        raise FrameError(
            "invalid_frame",
            format_lazy(
                _('A frame must be a JSON object such as {{"message": "hi"}}, not {kind}.'),
                kind=_json_type_name(data),
            ),
        )
    frame_type = data.get("type", "message")
    if frame_type == "message":
        return _parse_send_message(data, max_length=max_length)
    if frame_type == "resume":
        return Resume(after=seq_parse(data.get("after"), field="after"))
    if frame_type == "typing":
        return Typing()
    if frame_type == "edit":
        return Edit(
            seq=seq_parse(data.get("seq"), field="seq"),
            text=_message_text(data, max_length=max_length),
        )
    if frame_type == "react":
        return React(seq=seq_parse(data.get("seq"), field="seq"), emoji=_emoji(data.get("emoji")))
    if frame_type == "delete":
        return Delete(seq=seq_parse(data.get("seq"), field="seq"))
    if frame_type == "mute":
        return Mute(
            seq=seq_parse(data.get("seq"), field="seq"),
            minutes=seq_parse(data.get("minutes"), field="minutes"),
        )
    raise FrameError(
        "unknown_type", format_lazy(_("Unknown frame type {type}."), type=repr(frame_type))
    )


SEQ_MAX = 2**63 - 1  # the largest value the database's bigint columns hold
_SEQ_MAX_DIGITS = len(str(SEQ_MAX))


def seq_parse(value: object, *, field: str) -> int:
    """A message sequence number: a whole number from 0 to ``SEQ_MAX`` (also given as a
    digit string)."""
    if (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value.lstrip("0")) <= _SEQ_MAX_DIGITS
    ):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SEQ_MAX:
        raise FrameError(
            f"invalid_{field}",
            format_lazy(
                _('"{field}" must be a whole number from 0 to {max}, not {value}.'),
                field=field,
                max=SEQ_MAX,
                value=_shown(value),
            ),  # fmt: skip
        )
    return value


def _shown(value: object):
    """``value`` for an error message, cut short (a huge int can't even be printed)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return _("a number that large")
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


ATTACHMENTS_MAX = 10


def _attachment_ids(value: object) -> tuple[int, ...]:
    if (
        isinstance(value, list)
        and len(value) <= ATTACHMENTS_MAX
        and all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= SEQ_MAX for i in value)
    ):
        return tuple(dict.fromkeys(value))
    raise FrameError(
        "invalid_attachment",
        format_lazy(
            _('"attachments" must be a list of at most {max} upload ids, not {value}.'),
            max=ATTACHMENTS_MAX,
            value=_shown(value),
        ),
    )


EMOJI_MAX_LENGTH = 32  # characters: the longest ZWJ sequences are about a dozen


def _emoji(value: object) -> str:
    if not (
        isinstance(value, str) and 0 < len(value) <= EMOJI_MAX_LENGTH and emoji.is_emoji(value)
    ):
        raise FrameError(
            "invalid_reaction",
            format_lazy(
                _('"emoji" must be one emoji, such as "👍", not {value}.'), value=_shown(value)
            ),
        )
    return value


def _storable(text: str) -> bool:
    """Text a database can store: valid UTF-8 (JSON's \\u escapes can spell unpaired
    surrogates) without NUL characters (PostgreSQL refuses them)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def message_parse(data: dict, *, max_length: int) -> SendMessage:
    """A message to post given as a JSON object outside a frame (the HTTP API's body),
    checked as the WebSocket's ``message`` frame is; raises FrameError."""
    return _parse_send_message(data, max_length=max_length)


def _parse_send_message(data: dict, *, max_length: int) -> SendMessage:
    nonce = data.get("nonce")
    if nonce is not None and (
        not isinstance(nonce, str)
        or not 1 <= len(nonce) <= NONCE_MAX_LENGTH
        or not _storable(nonce)
    ):
        raise FrameError(
            "invalid_nonce",
            format_lazy(
                _('"nonce" must be a string of 1 to {max} characters.'), max=NONCE_MAX_LENGTH
            ),
        )
    try:
        reply_to = data.get("reply_to")
        if reply_to is not None:
            reply_to = seq_parse(reply_to, field="reply_to")
        attachments = _attachment_ids(data.get("attachments", []))
        if attachments and data.get("message", "") == "":
            text = ""  # files alone
        else:
            text = _message_text(data, max_length=max_length)
        confirm = data.get("confirm", False)
        if not isinstance(confirm, bool):
            raise FrameError("invalid_confirm", _('"confirm" must be true or false.'))
        thread = data.get("thread")
        if thread is not None:
            try:
                thread = seq_parse(thread, field="thread")
            except FrameError:
                raise FrameError(
                    "invalid_thread", _('"thread" must be the seq of a message here (1 or more).')
                ) from None
            if thread == 0:
                raise FrameError("invalid_thread", _('"thread" must be the seq of a message here.'))
        also_room = data.get("also_room", False)
        if not isinstance(also_room, bool) or also_room and thread is None:
            raise FrameError(
                "invalid_also_room", _('"also_room" is true or false, and only with "thread".')
            )
        return SendMessage(
            text=text, nonce=nonce, reply_to=reply_to, attachments=attachments, confirm=confirm,
            thread=thread, also_room=also_room,
        )  # fmt: skip
    except FrameError as error:
        error.nonce = nonce
        raise


def _message_text(data: dict, *, max_length: int) -> str:
    if "message" not in data:
        raise FrameError("missing_message", _('The frame has no "message" field.'))
    text = data["message"]
    if not isinstance(text, str):
        raise FrameError(
            "invalid_message",
            format_lazy(_('"message" must be a string, not {kind}.'), kind=_json_type_name(text)),
        )
    if not text.strip():
        raise FrameError("empty_message", _("The message is empty."))
    if not has_visible_content(text):
        raise FrameError(
            "empty_message",
            _("The message has nothing visible: only invisible characters, spaces or marks."),
        )
    if not _storable(text):
        raise FrameError(
            "invalid_message",
            _('"message" contains a NUL character or an unpaired surrogate (\\ud800–\\udfff).'),
        )
    if len(text) > max_length:
        raise FrameError(
            "message_too_long",
            format_lazy(
                _("The message has {length} characters; the limit is {max}."),
                length=f"{len(text):,}",
                max=f"{max_length:,}",
            ),
        )
    if marks_run_longest(text) > MESSAGE_MARKS_MAX:
        raise FrameError(
            "too_many_marks",
            format_lazy(
                _("The message has {marks} combining marks on one character; the limit is {max}."),
                marks=f"{marks_run_longest(text):,}",
                max=MESSAGE_MARKS_MAX,
            ),
        )
    return text
