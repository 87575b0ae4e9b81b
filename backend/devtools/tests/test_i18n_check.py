"""devtools.i18n_check: unmarked template strings, and catalogs that are incomplete, not
compiled or out of date."""

import shutil
import subprocess
from pathlib import Path

import pytest

from devtools.i18n_check import (
    BACKEND_DIR,
    catalog_problems,
    po_entries,
    stale_problems,
    template_problems,
    unmarked_template_strings,
)

needs_gettext = pytest.mark.skipif(
    shutil.which("msgfmt") is None or shutil.which("xgettext") is None,
    reason="GNU gettext (msgfmt, xgettext) is not installed",
)

HEADER = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: de\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"
"""


# --- templates ----------------------------------------------------------------------------


def test_an_unmarked_text_is_found_with_its_line():
    source = '{% extends "base.html" %}\n{% block content %}\n<h1>Pick a room</h1>\n{% endblock %}'
    assert unmarked_template_strings(source) == [(3, "Pick a room")]


def test_marked_texts_pass():
    source = """{% load i18n %}
<h1>{% translate "Pick a room" %}</h1>
<p>{% blocktranslate with name=user.name %}Signed in as <strong>{{ name }}</strong>
{% endblocktranslate %}</p>
<p>{% blocktranslate trimmed count n=items|length %}
  {{ n }} item{% plural %}{{ n }} items{% endblocktranslate %}</p>
{% translate "a guest" as a_guest %}<span>{{ identity.name|default:a_guest }}</span>
{# a comment #}{% comment %}Longer words{% endcomment %}
<code>{{ token.prefix }}…</code> · 🌴 ×
"""
    assert unmarked_template_strings(source) == []


def test_a_text_people_read_in_an_attribute_must_be_marked():
    source = """{% load i18n %}
<input placeholder="Search messages" aria-label="{% translate "Search messages" %}">
<img alt="Your picture" src="{{ url }}"><button title="Close">×</button>
<input type="submit" value="Send"><button name="action" value="invite">x</button>
"""
    assert unmarked_template_strings(source) == [
        (2, 'placeholder="Search messages"'),
        (3, 'alt="Your picture"'),
        (3, 'title="Close"'),
        (4, 'value="Send"'),
        (4, "x"),  # the button's text (its value is never shown)
    ]


def test_attributes_not_read_and_scripts_are_left_alone():
    source = """<a href="/chat/" class="brand" id="logo" data-part="name"></a>
<script>const words = "not for people";</script><style>body { color: red; }</style>
{% block main_class %}room{% endblock %}<input placeholder="https://">
"""
    assert unmarked_template_strings(source) == []


def test_template_problems_name_the_file(tmp_path):
    page = tmp_path / "templates" / "page.html"
    page.parent.mkdir()
    page.write_text("<p>Hello</p>\n", encoding="utf-8")
    [problem] = template_problems([page], tmp_path)
    assert str(problem) == "templates/page.html:1: not marked for translation: Hello"


# --- catalogs -------------------------------------------------------------------------------


def _catalog(tmp_path: Path, body: str, domain: str = "django") -> Path:
    po = tmp_path / "locale" / "de" / "LC_MESSAGES" / f"{domain}.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(HEADER + body, encoding="utf-8")
    return po


def _compiled(po: Path) -> None:
    subprocess.run(["msgfmt", "-o", str(po.with_suffix(".mo")), str(po)], check=True)


def test_entries_are_read_with_their_plurals_contexts_and_flags():
    entries = po_entries(
        HEADER + '\nmsgctxt "role"\nmsgid "guest"\nmsgstr "Gast"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s day"\nmsgid_plural "%(n)s days"\n'
        'msgstr[0] "%(n)s Tag"\nmsgstr[1] ""\n\n#~ msgid "old"\n#~ msgstr "alt"\n'
    )
    assert [(e.context, e.msgid, e.plural, e.strings, e.fuzzy) for e in entries] == [
        ("role", "guest", None, {0: "Gast"}, False),
        (None, "%(n)s day", "%(n)s days", {0: "%(n)s Tag", 1: ""}, True),
    ]


@needs_gettext
def test_a_complete_compiled_catalog_passes(tmp_path):
    po = _catalog(tmp_path, '\nmsgid "Save"\nmsgstr "Speichern"\n')
    _compiled(po)
    assert catalog_problems(tmp_path / "locale", ["de"], ["django"], tmp_path) == []


@needs_gettext
def test_a_missing_translation_fails(tmp_path):
    po = _catalog(tmp_path, '\nmsgid "Save"\nmsgstr "Speichern"\n\nmsgid "Cancel"\nmsgstr ""\n')
    _compiled(po)
    problems = catalog_problems(tmp_path / "locale", ["de"], ["django"], tmp_path)
    assert [str(p) for p in problems] == [
        "locale/de/LC_MESSAGES/django.po:10: untranslated: 'Cancel'"
    ]


@needs_gettext
def test_a_fuzzy_translation_and_a_missing_plural_form_fail(tmp_path):
    po = _catalog(
        tmp_path,
        '\n#, fuzzy\nmsgid "Save"\nmsgstr "Sichern"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s Tag"\nmsgstr[1] ""\n',
        domain="djangojs",
    )
    _compiled(po)
    problems = catalog_problems(tmp_path / "locale", ["de"], ["djangojs"], tmp_path)
    assert [p.what for p in problems] == ["fuzzy: 'Save'", "untranslated: '%(n)s day'"]


@needs_gettext
def test_a_catalog_that_isnt_there_or_isnt_compiled_fails(tmp_path):
    _catalog(tmp_path, '\nmsgid "Save"\nmsgstr "Speichern"\n')
    problems = catalog_problems(tmp_path / "locale", ["de"], ["django", "djangojs"], tmp_path)
    assert [p.what for p in problems] == [
        "not compiled (no .mo): run `invoke i18n.update`",
        "no catalog: run `invoke i18n.update`",
    ]


@needs_gettext
def test_a_mo_older_than_its_po_fails(tmp_path):
    po = _catalog(tmp_path, '\nmsgid "Save"\nmsgstr "Speichern"\n')
    _compiled(po)
    po.write_text(po.read_text(encoding="utf-8").replace("Speichern", "Sichern"), encoding="utf-8")
    [problem] = catalog_problems(tmp_path / "locale", ["de"], ["django"], tmp_path)
    assert problem.what == "the .mo is older than the .po: run `invoke i18n.update`"


@needs_gettext
def test_a_lost_placeholder_fails(tmp_path):
    po = _catalog(
        tmp_path, '\n#, python-brace-format\nmsgid "Hello {name}"\nmsgstr "Hallo {nom}"\n'
    )
    _compiled(po)
    problems = catalog_problems(tmp_path / "locale", ["de"], ["django"], tmp_path)
    assert problems and all(p.what.startswith("msgfmt --check:") for p in problems)


@needs_gettext
def test_a_string_makemessages_would_add_makes_the_catalog_out_of_date(tmp_path):
    """Run on a copy of the sources with one new marked string in a template."""
    backend = tmp_path / "backend"
    shutil.copytree(
        BACKEND_DIR, backend,
        ignore=shutil.ignore_patterns("__pycache__", "node_modules", "*.pyc", "tests"),
    )  # fmt: skip
    page = backend / "templates" / "brand_new.html"
    page.write_text('{% load i18n %}<p>{% translate "A sentence no catalog has" %}</p>\n')
    problems = stale_problems(backend, ["de"], root=backend)
    wanted = "out of date, no entry for 'A sentence no catalog has': run `invoke i18n.update`"
    assert [p.path for p in problems if p.what == wanted] == ["locale/de/LC_MESSAGES/django.po"]
    assert not page.with_name("locale").exists()  # the copy was changed, not the sources'
    po = backend / "locale" / "de" / "LC_MESSAGES" / "django.po"
    assert "A sentence no catalog has" not in po.read_text(encoding="utf-8")
