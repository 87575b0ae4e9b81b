"""Room names: what a valid one is, and the channel-layer group each maps to."""

import hashlib
import re
import unicodedata

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

ROOM_NAME_MAX_LENGTH = 100
_PUNCTUATION_ALLOWED = frozenset("-_.")
NAME_MARKS_MAX = 4  # combining marks on one letter of a name


# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt): characters
# drawn as nothing at all, such as zero-width spaces, joiners, bidi controls, variation
# selectors and Hangul fillers. The standard library's unicodedata doesn't expose it.
_DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160),
    (0x17B4, 0x17B5), (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E),
    (0x2060, 0x206F), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)  # fmt: skip


# A printable ASCII character other than the space: visible by itself.
_ASCII_VISIBLE = re.compile(r"[!-~]")


def is_default_ignorable(char: str) -> bool:
    """True for a character Unicode says is drawn as nothing (U+200B, U+034F, U+202E...)."""
    code = ord(char)
    return any(low <= code <= high for low, high in _DEFAULT_IGNORABLE_RANGES)


def is_mark(char: str) -> bool:
    """A combining mark: drawn on the character before it."""
    return unicodedata.category(char)[0] == "M"


def marks_run_longest(text: str) -> int:
    """The most combining marks in a row anywhere in ``text`` (on one base character)."""
    if text.isascii():
        return 0  # no marks below U+0300
    longest = run = 0
    for char in text:
        run = run + 1 if is_mark(char) else 0
        longest = max(longest, run)
    return longest


def has_visible_content(text: str) -> bool:
    """True if ``text`` has something besides whitespace, invisible characters and marks
    (which have nothing to be drawn on by themselves)."""
    if _ASCII_VISIBLE.search(text):
        return True  # the common case, without a look at each character
    return any(not (char.isspace() or is_default_ignorable(char) or is_mark(char)) for char in text)


class InvalidRoomName(ValueError):
    """A room name that can't be used; ``detail`` says why, for people (translated when
    it is shown: ``str(error)`` is it in the active language)."""

    @property
    def detail(self):
        return self.args[0]


def is_name_char(char: str, punctuation: frozenset[str] = _PUNCTUATION_ALLOWED) -> bool:
    """Letters and combining marks of any script, decimal digits, and ``punctuation``
    (the rule for room names, and with a space added, for display names)."""
    category = unicodedata.category(char)
    return category[0] in "LM" or category == "Nd" or char in punctuation


def _describe(char: str):
    if char.isspace():
        return _("spaces")
    if char == "/":
        return _("slashes")
    if is_default_ignorable(char):
        return format_lazy(_("the invisible character U+{code}"), code=f"{ord(char):04X}")
    if unicodedata.category(char)[0] == "C":
        return format_lazy(_("the control character U+{code}"), code=f"{ord(char):04X}")
    return format_lazy(_("“{character}”"), character=char)


def room_name_clean(raw: str) -> str:
    """Return the canonical (NFC) form of a room name, or raise InvalidRoomName.

    Names are 1–100 Unicode letters, digits, "-", "_" and ".", with at least
    one letter or digit; any script works ("café", "日本語", "dev-ops_2").
    """
    name = unicodedata.normalize("NFC", raw)
    if not name.strip():
        raise InvalidRoomName(_("Enter a room name."))
    problem = name_problem(
        name, kind=_("Room names"), max_length=ROOM_NAME_MAX_LENGTH,
        punctuation=_PUNCTUATION_ALLOWED, allowed=_("only letters, digits, “-”, “_” and “.”"),
    )  # fmt: skip
    if problem:
        raise InvalidRoomName(problem)
    return name


def name_problem(name: str, *, kind, max_length: int, punctuation: frozenset[str], allowed):
    """Why ``name`` can't be one of ``kind`` ("Room names"), for people (a lazy
    translation, as ``kind`` and ``allowed`` are); None if it can.

    A name is at most ``max_length`` letters, marks and digits of any script and
    ``punctuation`` (described by ``allowed``), with at least one letter or digit.
    """
    if len(name) > max_length:
        return format_lazy(
            _("{kind} can have at most {max_length} characters; this one has {length}."),
            kind=kind, max_length=max_length, length=len(name),
        )  # fmt: skip
    for char in name:
        if is_default_ignorable(char) or not is_name_char(char, punctuation):
            return format_lazy(
                _("{kind} may contain {allowed}; {character} can't be used."),
                kind=kind, allowed=allowed, character=_describe(char),
            )  # fmt: skip
    if all(char in punctuation or is_mark(char) for char in name):
        return format_lazy(_("{kind} need at least one letter or digit."), kind=kind)
    if is_mark(name[0]):
        return format_lazy(
            _("{kind} can't start with a combining mark (U+{code})."),
            kind=kind, code=f"{ord(name[0]):04X}",
        )  # fmt: skip
    if marks_run_longest(name) > NAME_MARKS_MAX:
        return format_lazy(
            _("{kind} can have at most {marks} combining marks on one letter."),
            kind=kind, marks=NAME_MARKS_MAX,
        )  # fmt: skip
    return None


def room_group_name(room_name: str) -> str:
    """The channel-layer group of a room.

    Derived from a hash of the UTF-8 name, so it is always short ASCII that the
    channel layer accepts, whatever script or length the room name has.
    """
    return f"room.{_digest(room_name)}"


def person_key(identity_key: str) -> str:
    """Names one person's connections (all their tabs) in broadcasts to them."""
    return f"person.{_digest(identity_key)}"


def public_person_id(identity_key: str) -> str:
    """An id that tells people apart in frames without revealing their session."""
    return _digest(identity_key)[:16]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]
