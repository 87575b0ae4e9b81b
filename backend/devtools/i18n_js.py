"""Strings people read in the page's JavaScript that aren't marked for translation.

A practical rule, not a JavaScript parser: a string or template literal with a letter in
it is reported when it sits where the page shows text and isn't inside ``gettext(…)``,
``ngettext(…)``, ``pgettext(…)``, ``npgettext(…)`` or ``gettext_noop(…)``. Where the page
shows text:

- the value assigned to ``.textContent``, ``.innerText``, ``.title``, ``.placeholder``,
  ``.ariaLabel``, ``.alt`` or ``.label``;
- the value of ``setAttribute("aria-label" | "title" | "placeholder" | "alt", …)``;
- the value of a ``text:``, ``title:``, ``label:`` or ``placeholder:`` property;
- the arguments of ``alert``, ``confirm`` and ``prompt``, and of the page's helpers that
  show what they are given (``TEXT_CALLS``: an element's text, an error line).

A value may be an expression: every literal in it counts (``a ? "Yes" : "No"``), but
for one compared with something (``kind === "dm" ? …``).
"""

import re
from collections.abc import Iterable
from pathlib import Path

MARKING_CALLS = frozenset({"gettext", "ngettext", "pgettext", "npgettext", "gettext_noop"})
TEXT_PROPERTIES = frozenset(
    {"textContent", "innerText", "title", "placeholder", "ariaLabel", "alt", "label"}
)
TEXT_ATTRIBUTES = frozenset({"aria-label", "title", "placeholder", "alt"})
TEXT_KEYS = frozenset({"text", "title", "label", "placeholder"})


def _every(index: int, first_is_string: bool) -> bool:
    return True


def _element_text(index: int, first_is_string: bool) -> bool:
    # el(tag, className, text), or el(doc, tag, className, text) in modules that pass
    # the document: the element's text.
    return index == (2 if first_is_string else 3)


# Calls whose arguments a person reads: those the rule says yes to (the argument's
# index, and whether the first argument is a string literal).
TEXT_CALLS = {
    "alert": _every,
    "confirm": _every,
    "prompt": _every,
    "showError": _every,
    "onError": _every,
    "onRefuse": _every,
    "el": _element_text,
    "actionButton": lambda index, first_is_string: index in (0, 1),  # (label, title, …)
    "button": lambda index, first_is_string: index == 1,  # (doc, label, onClick)
    "formError": lambda index, first_is_string: index == 2,  # (errorLine, input, detail)
    "onTextSubmit": lambda index, first_is_string: index == 3,  # (…, errorLine, emptyDetail)
}

# A literal compared with something is a value the code tests, not text it shows.
_COMPARISONS = frozenset({"===", "!==", "==", "!="})
_LETTER = re.compile(r"[^\W\d_]")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_NUMBER = re.compile(r"\d[\w.]*")
# After these, "/" starts a regular expression; after anything else it divides.
_REGEX_AFTER_WORDS = frozenset(
    {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw"}
)
_PUNCTUATION = sorted(
    [
        "===", "!==", "**=", "...", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
        "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=",
        "*=", "/=", "%=", "&=", "|=", "^=", "**", "<<", ">>",
    ],
    key=len,
    reverse=True,
)  # fmt: skip


class _Token:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind: str, text: str, line: int):
        self.kind = kind  # "name", "string", "template", "number", "punct", "regex"
        self.text = text
        self.line = line


def _tokens(source: str) -> list[_Token]:
    """The tokens of ``source``; a template literal is one token holding its fixed text,
    followed by the tokens of its ``${…}`` expressions."""
    tokens: list[_Token] = []
    i, line, size = 0, 1, len(source)
    # One entry per open "${": the depth of braces inside it, to find its "}".
    templates: list[int] = []

    def regex_may_start() -> bool:
        for token in reversed(tokens):
            if token.kind in ("string", "template", "number", "regex"):
                return False
            if token.kind == "name":
                return token.text in _REGEX_AFTER_WORDS
            return token.text not in (")", "]", "}")
        return True

    def read_template(start: int, start_line: int) -> tuple[int, int]:
        """Reads template text from ``start`` (after "`" or "}"), appending its token;
        returns where it stopped and the line, having opened a "${" if it met one."""
        j, ln, text = start, start_line, []
        while j < size:
            char = source[j]
            if char == "\\":
                text.append(source[j : j + 2])
                j += 2
                continue
            if char == "`":
                tokens.append(_Token("template", "".join(text), start_line))
                return j + 1, ln
            if char == "$" and source.startswith("${", j):
                tokens.append(_Token("template", "".join(text), start_line))
                templates.append(0)
                return j + 2, ln
            if char == "\n":
                ln += 1
            text.append(char)
            j += 1
        tokens.append(_Token("template", "".join(text), start_line))
        return j, ln

    while i < size:
        char = source[i]
        if char == "\n":
            line += 1
            i += 1
        elif char in " \t\r\f\v":
            i += 1
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = size if end == -1 else end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = size if end == -1 else end + 2
            line += source.count("\n", i, end)
            i = end
        elif char in "'\"":
            j, text = i + 1, []
            while j < size and source[j] != char and source[j] != "\n":
                if source[j] == "\\":
                    text.append(source[j : j + 2])
                    j += 2
                else:
                    text.append(source[j])
                    j += 1
            tokens.append(_Token("string", "".join(text), line))
            i = j + 1
        elif char == "`":
            i, line = read_template(i + 1, line)
        elif char == "}" and templates and templates[-1] == 0:
            templates.pop()
            i, line = read_template(i + 1, line)
        elif char == "/" and regex_may_start():
            j, in_class = i + 1, False
            while j < size and source[j] != "\n":
                if source[j] == "\\":
                    j += 2
                    continue
                if source[j] == "[":
                    in_class = True
                elif source[j] == "]":
                    in_class = False
                elif source[j] == "/" and not in_class:
                    break
                j += 1
            j += 1
            while j < size and (source[j].isalnum()):
                j += 1
            tokens.append(_Token("regex", source[i:j], line))
            i = j
        elif match := _IDENT.match(source, i):
            tokens.append(_Token("name", match.group(), line))
            i = match.end()
        elif match := _NUMBER.match(source, i):
            tokens.append(_Token("number", match.group(), line))
            i = match.end()
        else:
            text = next((p for p in _PUNCTUATION if source.startswith(p, i)), char)
            if templates and text == "{":
                templates[-1] += 1
            elif templates and text == "}":
                templates[-1] -= 1
            tokens.append(_Token("punct", text, line))
            i += len(text)
    return tokens


class _Frame:
    """An open bracket: a call's arguments (with the callee's name), an array, a block or
    an object; and the text values that started inside it."""

    __slots__ = ("bracket", "callee", "argument", "found", "first_is_string", "key")

    def __init__(self, bracket: str, callee: str | None = None):
        self.bracket = bracket
        self.callee = callee
        self.argument = 0
        self.found: list[tuple[int, _Token]] = []  # (argument index, literal) for TEXT_CALLS
        self.first_is_string = False
        self.key: str | None = None  # in an object: the property whose value this is


_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.S)


def _unescaped(text: str) -> str:
    """A literal's text as the page gets it: "\\u00a0" is a no-break space, no word."""

    def character(match: re.Match) -> str:
        code = match.group(1)
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code.strip("u{}x"), 16))
        return {"n": "\n", "t": "\t", "r": "\r"}.get(code, code)

    return _ESCAPE.sub(character, text)


def _words(token: _Token) -> bool:
    return bool(_LETTER.search(_unescaped(token.text)))


def _unmarked_in(source: str) -> list[tuple[int, str]]:
    tokens = _tokens(source)
    frames: list[_Frame] = [_Frame("top")]
    # Open text values: the frame depth each belongs to; it ends at a "," or ";" of that
    # frame, or when the frame closes.
    values: list[int] = []
    found: list[tuple[int, str]] = []

    def marked() -> bool:
        return any(frame.callee in MARKING_CALLS for frame in frames)

    def close_values(depth: int) -> None:
        while values and values[-1] >= depth:
            values.pop()

    for index, token in enumerate(tokens):
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.kind in ("string", "template"):
            compared = any(t is not None and t.text in _COMPARISONS for t in (before, after))
            # An option such as { hour: "2-digit" } inside a shown value isn't text.
            option = frames[-1].key is not None and frames[-1].key not in TEXT_KEYS
            if not _words(token) or compared or option or marked():
                continue
            if values:
                found.append((token.line, token.text))
                continue
            call = frames[-1]
            if call.callee in TEXT_CALLS:
                call.found.append((call.argument, token))
            continue
        if token.kind == "name":
            # .textContent = …   (not ==, not ===)
            if (
                token.text in TEXT_PROPERTIES
                and before is not None
                and before.text in (".", "?.")
                and after is not None
                and after.text == "="
            ):
                values.append(len(frames) - 1)
            # { text: … }   or   , label: …
            elif (
                frames[-1].bracket == "{"
                and before is not None
                and before.text in ("{", ",")
                and after is not None
                and after.text == ":"
            ):
                frames[-1].key = token.text
                if token.text in TEXT_KEYS:
                    values.append(len(frames) - 1)
            continue
        if token.kind != "punct":
            continue
        if token.text in ("(", "[", "{"):
            callee = None
            if token.text == "(" and before is not None and before.kind == "name":
                callee = before.text
            frames.append(_Frame(token.text, callee))
            frames[-1].first_is_string = after is not None and after.kind == "string"
            if (
                callee == "setAttribute"
                and after is not None
                and after.kind == "string"
                and after.text in TEXT_ATTRIBUTES
            ):
                frames[-1].callee = "setAttribute:text"
        elif token.text in (")", "]", "}") and len(frames) > 1:
            frame = frames.pop()
            close_values(len(frames))
            rule = TEXT_CALLS.get(frame.callee or "")
            for argument, literal in frame.found:
                if rule is not None and rule(argument, frame.first_is_string):
                    found.append((literal.line, literal.text))
        elif token.text == ",":
            close_values(len(frames) - 1)
            frame = frames[-1]
            frame.argument += 1
            frame.key = None
            if frame.callee == "setAttribute:text" and frame.argument == 1:
                values.append(len(frames) - 1)
        elif token.text == ";":
            close_values(len(frames) - 1)
    found.sort()
    return found


def _files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.js") if "node_modules" not in p.parts))
        else:
            files.append(path)
    return files


def unmarked_js_strings(paths: Iterable[str | Path]) -> list[tuple[str, int, str]]:
    """(file, line, text) of each string people read in these scripts (files, or folders
    of ``*.js``) that isn't marked for translation."""
    return [
        (str(path), line, text)
        for path in _files(paths)
        for line, text in _unmarked_in(path.read_text(encoding="utf-8"))
    ]
