"""Finding who a message @mentions: the server stores the mentioned names with each message,
for highlights and mention counts."""

import unicodedata
from collections.abc import Iterable

# Besides letters, digits and combining marks, these characters carry a name on.
NAME_CONTINUERS = frozenset("-_+@")


def name_key(name: str) -> str:
    """The form names are compared in: NFC, then casefolded."""
    return unicodedata.normalize("NFC", name).casefold()


def is_word_char(char: str) -> bool:
    """A letter, a digit or a combining mark."""
    return unicodedata.category(char)[0] in "LNM"


def ends_name(text: str, end: int) -> bool:
    """Whether a name may end just before ``text[end]``: the next character can't continue it."""
    if end == len(text):
        return True
    char = text[end]
    if char == ".":
        return not (end + 1 < len(text) and text[end + 1].isalnum())
    return not (is_word_char(char) or char in NAME_CONTINUERS)


def mentions_find(text: str, names: Iterable[str]) -> list[str]:
    """The names (from ``names``, as given there) that ``text`` @mentions, in the order they
    first appear, each once."""
    if "@" not in text:
        return []
    by_key: dict[str, str] = {}
    for name in names:
        key = name_key(name.strip())
        if key:
            by_key.setdefault(key, name)
    if not by_key:
        return []
    # Casefolding never shortens text, so no mention is longer in the text than its longest key.
    longest = max(map(len, by_key))
    text = unicodedata.normalize("NFC", text)
    found: list[str] = []
    at = text.find("@")
    while at != -1:
        start = at + 1
        if at == 0 or not is_word_char(text[at - 1]):
            for end in range(min(len(text), start + longest), start, -1):
                name = by_key.get(name_key(text[start:end]))
                if name is not None and ends_name(text, end):
                    if name not in found:
                        found.append(name)
                    break
        at = text.find("@", start)
    return found
