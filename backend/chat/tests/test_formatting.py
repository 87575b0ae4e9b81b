"""A message's text as safe HTML: the Markdown subset, links, and what must stay inert."""

import re
from html.parser import HTMLParser

import pytest

from chat.formatting import message_html

REL = 'rel="noopener noreferrer nofollow ugc"'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("**bold**", "<strong>bold</strong>"),
        ("_italic_", "<em>italic</em>"),
        ("~~gone~~", "<s>gone</s>"),
        ("`a < b`", "<code>a &lt; b</code>"),
        ("```\nx = 1\n```", '<pre dir="auto"><code>x = 1\n</code></pre>'),
        ("> said", '<blockquote dir="auto">\n<p dir="auto">said</p>\n</blockquote>'),
        ("- one\n- two", '<ul>\n<li dir="auto">one</li>\n<li dir="auto">two</li>\n</ul>'),
        ("1. one\n2. two", '<ol>\n<li dir="auto">one</li>\n<li dir="auto">two</li>\n</ol>'),
    ],
)
def test_the_markdown_subset_is_rendered(text, html):
    assert html in message_html(text)


def test_a_line_break_is_kept():
    assert message_html("first\nsecond") == '<p dir="auto">first<br>\nsecond</p>'


def test_a_link_opens_in_a_new_tab_without_passing_on_the_page():
    assert message_html("[docs](https://example.org/a?b=1&c=2)") == (
        '<p dir="auto"><a href="https://example.org/a?b=1&amp;c=2" target="_blank" '
        f"{REL}>docs</a></p>"
    )


@pytest.mark.parametrize(
    ("text", "href"),
    [
        ("see https://example.org/x", "https://example.org/x"),
        ("see example.org", "http://example.org"),
        ("write to mailto:team@example.org", "mailto:team@example.org"),
    ],
)
def test_bare_urls_become_links(text, href):
    assert f'href="{href}" target="_blank" {REL}' in message_html(text)


@pytest.mark.parametrize(
    "text", ["# not a heading", "---", "![logo](https://example.org/logo.png)", "===\n"]
)
def test_headings_rules_and_images_are_not_made(text):
    html = message_html(text)
    assert not re.search(r"<(h\d|hr|img)\b", html)


# Known ways to get script into a page through a message; each must come out inert.
XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](DATA:text/html,<script>alert(1)</script>)",
    '[x](https://example.org/"onmouseover="alert(1))',
    '[x](https://example.org "title\\" onmouseover=\\"alert(1))',
    "[x](//evil.example/a)",
    "[x](/admin/)",
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    "**<b onclick=alert(1)>x</b>**",
    "`<script>alert(1)</script>`",
    "[<img src=x onerror=alert(1)>](https://example.org)",
    "<details open ontoggle=alert(1)>",
    "javascript:alert(1)",
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
]


class Elements(HTMLParser):
    """The elements of an HTML fragment, as a browser would read them: (tag, attributes)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


ALLOWED = {
    "p": {"dir"}, "br": set(), "strong": set(), "em": set(), "s": set(), "del": set(),
    "code": set(), "pre": {"dir"}, "blockquote": {"dir"}, "ul": set(), "ol": {"start"},
    "li": {"dir"}, "a": {"href", "target", "rel", "title"},
}  # fmt: skip


@pytest.mark.parametrize("text", XSS)
def test_what_would_run_script_is_left_inert(text):
    for tag, attributes in Elements(message_html(text)).found:
        assert tag in ALLOWED, tag
        assert set(attributes) <= ALLOWED[tag], attributes
        href = attributes.get("href")
        assert href is None or href.startswith(("http://", "https://", "mailto:")), href


def test_raw_html_is_shown_as_the_text_it_is():
    assert (
        message_html("<b>hi</b> & <i>") == '<p dir="auto">&lt;b&gt;hi&lt;/b&gt; &amp; &lt;i&gt;</p>'
    )


@pytest.mark.parametrize(
    "text", ["`" * 4000, "*" * 4000, "[" * 4000, "> " * 2000, "**_" * 1333, "[" * 2000 + "]" * 2000]
)
def test_a_pathological_message_renders_as_bounded_markup(text):
    html = message_html(text)
    assert len(html) < 20 * len(text)
    assert html.count("<blockquote") <= 20  # nesting is cut off, not followed to the end


def test_a_right_to_left_message_takes_its_direction_from_its_text():
    assert message_html("שלום **עולם**") == '<p dir="auto">שלום <strong>עולם</strong></p>'


def test_a_text_longer_than_any_message_is_shown_as_plain_text():
    html = message_html("[" * 30_000 + "\n**not bold**")
    assert html.startswith('<p dir="auto">[[[') and "<strong>" not in html
    assert "<br>" in html


def test_plain_text_skips_the_renderer_and_comes_out_the_same(monkeypatch):
    """Texts the shortcut takes give exactly what the renderer and sanitizer give."""
    import random

    from chat import formatting

    alphabet = list("aZé日ب1 ,?!'\".-*_#@>:/\n~`[]()&<") + ["  ", "1. ", "www.", ".me", "é"]
    rng = random.Random(20261205)
    texts = ["Hello world", "Hello. How are you?", 'it\'s "quoted", ok!', "مرحبا بالعالم"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 14))) for _ in range(60_000)]
    shortcut = [text for text in texts if formatting._PLAIN.match(text)]
    assert len(shortcut) > 1000  # the comparison is about something
    for text in shortcut:
        fast = formatting.message_html(text)
        assert fast == formatting._cleaner.clean(formatting._markdown.render(text)).strip(), text


def test_plain_text_does_not_call_the_renderer(monkeypatch):
    from chat import formatting

    def refuse(text):
        raise AssertionError("rendered")

    monkeypatch.setattr(formatting._markdown, "render", refuse)
    assert (
        formatting.message_html("See you at nine, ok?") == '<p dir="auto">See you at nine, ok?</p>'
    )
