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


# Characters the walks of one text may examine, per character of the text.
WALK_PER_CHARACTER = 4
# Marks the end of a name in a node of the trie mentions_find walks.
_END = ""


def _trie(names: Iterable[str]) -> dict:
    """The names' keys, character by character: each node maps a character to the next,
    and ``_END`` to the name (as given) that ends there."""
    root: dict = {}
    for name in names:
        key = name_key(name.strip())
        if not key:
            continue
        node = root
        for char in key:
            node = node.setdefault(char, {})
        node.setdefault(_END, name)
    return root


def mentions_find(text: str, names: Iterable[str]) -> list[str]:
    """The names (from ``names``, as given there) that ``text`` @mentions, in the order they
    first appear, each once. At each "@" the longest name that ends where a name may end
    is taken; the walks from the "@"s examine at most ``WALK_PER_CHARACTER`` characters per
    character of the text (only names with "@" in them make walks overlap), so the cost
    stays linear in the text whatever the names."""
    if "@" not in text:
        return []
    trie = _trie(names)
    if not trie:
        return []
    text = unicodedata.normalize("NFC", text)
    found: list[str] = []
    budget = [WALK_PER_CHARACTER * len(text)]
    at = text.find("@")
    while at != -1 and budget[0] > 0:
        start = at + 1
        if at == 0 or not is_word_char(text[at - 1]):
            name = _longest_at(text, start, trie, budget)
            if name is not None and name not in found:
                found.append(name)
        at = text.find("@", start)
    return found


def _longest_at(text: str, start: int, trie: dict, budget: list[int]) -> str | None:
    node, longest = trie, None
    for end in range(start, min(len(text), start + budget[0])):
        for char in text[end].casefold():
            node = node.get(char)
            if node is None:
                budget[0] -= end - start + 1
                return longest
        if _END in node and ends_name(text, end + 1):
            longest = node[_END]
    budget[0] -= len(text) - start
    return longest
