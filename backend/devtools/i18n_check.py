"""Whether every word a person reads can be translated, and is: ``invoke i18n.check``.

Run from ``backend/`` as ``python -m devtools.i18n_check`` (one line per problem, exit
status 1 if there is any), or ``python -m devtools.i18n_check update`` to bring the
catalogs up to date with the sources (Django's makemessages for both domains, then
compilemessages), which ``invoke i18n.update`` does.

The rules:

- templates (``templates/`` and every app's, pages and e-mails): a text node, or the
  value of an attribute people read (``title``, ``placeholder``, ``aria-label``,
  ``alt``, the ``value`` of an input shown as a button), with a letter in it and
  outside ``{% translate %}``, ``{% blocktranslate %}``, a variable and a comment, is
  unmarked. ``ALLOWED`` lists the few texts that are the same in every language; a
  block named ``*_class`` fills a class attribute (``main_class``), not text;
- page modules (every app's ``static/``): ``devtools.i18n_js`` finds their unmarked
  strings;
- catalogs, ``locale/<language>/LC_MESSAGES/{django,djangojs}.po`` for each language of
  settings.LANGUAGES but English, the language of the sources: each must exist, have
  every entry translated and none fuzzy, pass ``msgfmt --check`` (placeholders kept),
  be compiled (its ``.mo``, committed beside it, says what the ``.po`` says) and be up
  to date: makemessages, run on a copy of the sources, would add no entry.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, TokenType

BACKEND_DIR = Path(__file__).resolve().parent.parent
SOURCE_LANGUAGE = "en"
DOMAINS = ("django", "djangojs")
# What makemessages leaves out, in both domains: code that people never read.
IGNORED = ("tests", "devtools", "bench", "migrations", "node_modules", "locale")
# Texts that may stand unmarked, the same in every language: a URL's scheme (a
# placeholder of a URL field).
ALLOWED = frozenset({"https://"})
# Attributes whose values people read (and hear, for aria-label).
READ_ATTRIBUTES = frozenset({"title", "placeholder", "aria-label", "alt"})
BUTTON_TYPES = frozenset({"submit", "button", "reset"})
# Stands for a marked or computed part of a template: not a letter.
MARKED = "\ue000"
# Blocks whose content is marked (or not text), and the tags that end them.
LEFT_OUT = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
    "verbatim": "endverbatim",
}


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


# --- templates ----------------------------------------------------------------------------


def has_letter(text: str) -> bool:
    return any(unicodedata.category(char).startswith("L") for char in text)


def _masked(source: str) -> str:
    """The template with what is marked or computed (variables, translations, comments)
    replaced by ``MARKED`` and other tags by nothing; lines kept where they were."""
    parts = []
    inside = None  # the tag that ends the block being left out, if any
    for token in Lexer(source).tokenize():
        newlines = "\n" * token.contents.count("\n")
        if token.token_type == TokenType.TEXT and inside is None:
            parts.append(token.contents)
            continue
        name = token.contents.split(None, 1)[0] if token.contents.strip() else ""
        if token.token_type == TokenType.BLOCK:
            if inside is None and name in LEFT_OUT:
                inside = LEFT_OUT[name]
                parts.append(MARKED + newlines)
                continue
            words = token.contents.split()
            if inside is None and name == "block" and words[1:] and words[1].endswith("_class"):
                inside = "endblock"
                parts.append(newlines)
                continue
            if name == inside:
                inside = None
                parts.append(newlines)
                continue
            marked = name in ("translate", "trans") and inside is None
            parts.append((MARKED if marked else "") + newlines)
            continue
        parts.append((MARKED if token.token_type == TokenType.VAR else "") + newlines)
    return "".join(parts)


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skipping = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style"):
            self._skipping += 1
        values = dict(attrs)
        for name, value in attrs:
            read = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in BUTTON_TYPES
            )
            if read and value:
                self._check(value, f'{name}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._check(data, data)

    def _check(self, text: str, shown: str) -> None:
        words = text.replace(MARKED, " ").strip()
        if has_letter(words) and words not in ALLOWED:
            line = self.getpos()[0] + text[: len(text) - len(text.lstrip())].count("\n")
            self.found.append((line, " ".join(shown.replace(MARKED, "…").split())))


def unmarked_template_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of each text of a template people read that isn't marked."""
    finder = _TextFinder()
    finder.feed(_masked(source))
    finder.close()
    return finder.found


def template_files(backend: Path = BACKEND_DIR) -> list[Path]:
    """The project's templates (pages and e-mails): ``templates/`` and every app's."""
    folders = [backend / "templates", *sorted(backend.glob("*/templates"))]
    return sorted(
        path for folder in folders for path in folder.rglob("*")
        if path.suffix in (".html", ".txt") and "tests" not in path.parts
    )  # fmt: skip


def template_problems(paths: Iterable[Path], root: Path = BACKEND_DIR) -> list[Problem]:
    return [
        Problem(_shown(path, root), line, f"not marked for translation: {text}")
        for path in paths
        for line, text in unmarked_template_strings(path.read_text(encoding="utf-8"))
    ]


# --- page modules ---------------------------------------------------------------------------


def page_module_problems(backend: Path = BACKEND_DIR) -> list[Problem]:
    """What ``devtools.i18n_js`` finds in every app's ``static/``."""
    from devtools.i18n_js import unmarked_js_strings

    folders = sorted(backend.glob("*/static"))
    return [
        Problem(_shown(Path(path), backend), line, f"not marked for translation: {text}")
        for path, line, text in unmarked_js_strings(folders)
    ]


# --- catalogs -------------------------------------------------------------------------------


@dataclass
class Entry:
    context: str | None
    msgid: str
    plural: str | None
    strings: dict[int, str]  # msgstr (0), or msgstr[n]
    fuzzy: bool
    line: int

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return self.context, self.msgid, self.plural


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v"}  # fmt: skip


def _unquoted(text: str) -> str:
    joined = "".join(_QUOTED.findall(text))
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), joined)


def po_entries(text: str) -> list[Entry]:
    """The entries of a ``.po`` file, separated by blank lines as makemessages writes
    them (the header and obsolete entries, ``#~``, left out)."""
    entries = []
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        if line.strip():
            block.append((number, line.strip()))
            continue
        fields: dict[str, str] = {}
        flags: set[str] = set()
        field, start = None, 0
        for at, item in block:
            if item.startswith("#,"):
                flags.update(flag.strip() for flag in item[2:].split(","))
            elif item.startswith('"') and field is not None:
                fields[field] += _unquoted(item)
            elif not item.startswith("#"):
                field, _, rest = item.partition(" ")
                fields[field] = _unquoted(rest)
                start = start or at
        block = []
        if fields.get("msgid"):
            strings = {int(key[7:-1]): value for key, value in fields.items()
                       if key.startswith("msgstr[")}  # fmt: skip
            if "msgstr" in fields:
                strings[0] = fields["msgstr"]
            context, plural = fields.get("msgctxt"), fields.get("msgid_plural")
            entries.append(
                Entry(context, fields["msgid"], plural, strings, "fuzzy" in flags, start)
            )
    return entries


def catalog_path(locale: Path, language: str, domain: str) -> Path:
    return locale / language / "LC_MESSAGES" / f"{domain}.po"


def languages() -> list[str]:
    from django.conf import settings

    return [code for code, _ in settings.LANGUAGES if code != SOURCE_LANGUAGE]


def catalog_problems(
    locale: Path, langs: Iterable[str], domains: Iterable[str] = DOMAINS, root: Path = BACKEND_DIR
) -> list[Problem]:
    """What is missing from each catalog: the file, a translation, its compiled form."""
    problems = []
    for language in langs:
        for domain in domains:
            po = catalog_path(locale, language, domain)
            shown = _shown(po, root)
            if not po.exists():
                problems.append(Problem(shown, 0, "no catalog: run `invoke i18n.update`"))
                continue
            entries = po_entries(po.read_text(encoding="utf-8"))
            for entry in entries:
                if entry.fuzzy:
                    problems.append(Problem(shown, entry.line, f"fuzzy: {entry.msgid!r}"))
                elif not entry.strings or not all(entry.strings.values()):
                    problems.append(Problem(shown, entry.line, f"untranslated: {entry.msgid!r}"))
            problems += _msgfmt_problems(po, shown)
            problems += _compiled_problems(po, entries, shown)
    return problems


def _msgfmt_problems(po: Path, shown: str) -> list[Problem]:
    """What ``msgfmt --check`` finds (a placeholder lost or changed, a bad header)."""
    if shutil.which("msgfmt") is None:
        return [Problem(shown, 0, "msgfmt is missing: install GNU gettext")]
    result = subprocess.run(
        ["msgfmt", "--check", "-o", os.devnull, str(po)], capture_output=True, text=True
    )
    if result.returncode == 0:
        return []
    return [Problem(shown, 0, f"msgfmt --check: {line}")
            for line in result.stderr.splitlines() if line.strip()]  # fmt: skip


def _compiled_problems(po: Path, entries: list[Entry], shown: str) -> list[Problem]:
    """Whether the ``.mo`` beside ``po`` holds the same translations."""
    mo = po.with_suffix(".mo")
    if not mo.exists():
        return [Problem(shown, 0, "not compiled (no .mo): run `invoke i18n.update`")]
    with mo.open("rb") as compiled:
        catalog = dict(gettext.GNUTranslations(compiled)._catalog)
    catalog.pop("", None)  # the header
    wanted = {}
    for entry in entries:
        key = entry.msgid if entry.context is None else f"{entry.context}\x04{entry.msgid}"
        keys = [key] if entry.plural is None else [(key, index) for index in entry.strings]
        if entry.fuzzy or not entry.strings or not all(entry.strings.values()):
            for unfinished in keys:  # said above; msgfmt may keep part of it, or none
                catalog.pop(unfinished, None)
            continue
        wanted.update(zip(keys, entry.strings.values(), strict=True))
    if catalog != wanted:
        return [Problem(shown, 0, "the .mo is older than the .po: run `invoke i18n.update`")]
    return []


# --- keeping the catalogs up to date ----------------------------------------------------------


def makemessages_args(domain: str, langs: Iterable[str]) -> list[str]:
    """Django's makemessages for ``domain``, as ``update`` and the check run it."""
    args = ["makemessages", "--domain", domain, "--no-obsolete"]
    args += [arg for language in langs for arg in ("--locale", language)]
    args += [arg for ignored in IGNORED for arg in ("--ignore", ignored)]
    return args


def _manage(backend: Path, *args: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    subprocess.run([sys.executable, "manage.py", *args], cwd=backend, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def catalogs_update(backend: Path = BACKEND_DIR, langs: Iterable[str] | None = None) -> None:
    """Every domain's catalogs made or brought up to date, then compiled."""
    langs = list(langs if langs is not None else languages())
    for domain in DOMAINS:
        _manage(backend, *makemessages_args(domain, langs))
    _manage(backend, "compilemessages", "--ignore", "node_modules")


def _copied_sources(backend: Path, into: Path) -> Path:
    """A copy of what makemessages reads (the sources and the catalogs)."""
    skipped = shutil.ignore_patterns("__pycache__", "node_modules", ".pytest_cache", "*.pyc",
                                     "*.mo", "media", "static_root")  # fmt: skip
    copy = into / "backend"
    shutil.copytree(backend, copy, ignore=skipped)
    return copy


def stale_problems(
    backend: Path = BACKEND_DIR, langs: Iterable[str] | None = None, root: Path = BACKEND_DIR
) -> list[Problem]:
    """The entries makemessages would add to each catalog (run on a copy of the sources,
    so nothing here changes)."""
    langs = list(langs if langs is not None else languages())
    problems = []
    with tempfile.TemporaryDirectory(prefix="i18n-check-") as temporary:
        copy = _copied_sources(backend, Path(temporary))
        for domain in DOMAINS:
            _manage(copy, *makemessages_args(domain, langs))
        for language in langs:
            for domain in DOMAINS:
                old_po = catalog_path(backend / "locale", language, domain)
                if not old_po.exists():
                    continue  # catalog_problems says so
                old = {e.key for e in po_entries(old_po.read_text(encoding="utf-8"))}
                new_po = catalog_path(copy / "locale", language, domain)
                for entry in po_entries(new_po.read_text(encoding="utf-8")):
                    if entry.key not in old:
                        problems.append(Problem(
                            _shown(old_po, root), 0,
                            f"out of date, no entry for {entry.msgid!r}: run `invoke i18n.update`",
                        ))  # fmt: skip
    return problems


# --- the command ------------------------------------------------------------------------------


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def check(backend: Path = BACKEND_DIR) -> list[Problem]:
    problems = template_problems(template_files(backend), backend)
    problems += page_module_problems(backend)
    problems += catalog_problems(backend / "locale", languages(), root=backend)
    problems += stale_problems(backend, root=backend)
    return sorted(set(problems))


def main(argv: list[str]) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    django.setup()
    if argv[:1] == ["update"]:
        catalogs_update()
        print("Catalogs updated and compiled: translate what is new (invoke i18n.check says what).")
        return 0
    if argv:
        print("usage: python -m devtools.i18n_check [update]", file=sys.stderr)
        return 2
    problems = check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} translation problem(s).", file=sys.stderr)
        return 1
    print("Every string is marked, and every catalog is complete and compiled.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
