"""A message's text as safe HTML: rendered once, when the message is stored.

A Markdown subset (bold, italic, strikethrough, inline code, code blocks, quotes,
lists, links, bare URLs made links) through markdown-it-py with raw HTML off,
then an allow-list sanitizer (nh3) over what it made. Links keep only the
``http``, ``https`` and ``mailto`` schemes, open in a new tab and carry
``rel="noopener noreferrer nofollow ugc"``; there are no images. Headings and
rules are left as the text people typed ("# 1 priority", "---"). Each block
takes its direction from its own text (``dir="auto"``).
"""

import html
import re

import nh3
from markdown_it import MarkdownIt

# What markdown-it-py may make: CommonMark, less the rules a chat doesn't want.
_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True})
    .enable(["strikethrough", "linkify"])
    .disable(["heading", "lheading", "hr", "image", "html_block", "html_inline"])
)

TAGS = {
    "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
LINK_REL = "noopener noreferrer nofollow ugc"
URL_SCHEMES = {"http", "https", "mailto"}
# Set on every such tag, whatever the renderer made.
SET_ATTRIBUTES = {
    "a": {"target": "_blank"},
    **{tag: {"dir": "auto"} for tag in ("p", "li", "blockquote", "pre")},
}


_cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    link_rel=LINK_REL,
    url_schemes=URL_SCHEMES,
    set_tag_attribute_values=SET_ATTRIBUTES,
    url_relative="deny",  # "/admin/" or "//host": not an http(s) or mailto link
)


# Longer texts (only staff can store them, through the admin: messages are limited to
# CHAT_MESSAGE_MAX_LENGTH) are shown as plain text, so rendering stays bounded in time.
RENDER_MAX_LENGTH = 20_000


# Text that Markdown and the sanitizer would only wrap in a paragraph: one line of letters
# and digits of any script, spaces, and punctuation that means nothing to either (a
# period only before a space or at the end, where no link can begin). It starts with a
# letter (no list, quote or code marker) and ends without a space. Most chat messages
# are such text; they skip the renderer. The tests compare both ways on many texts.
_PLAIN = re.compile(r"[^\W\d_](?:[^\W_]|[ ,?!'\"]|\.(?= |\Z))*(?<! )\Z")


def message_html(text: str) -> str:
    """The HTML a message's text is shown as (safe to insert into a page as it is)."""
    if _PLAIN.match(text):
        return f'<p dir="auto">{text}</p>'
    if len(text) > RENDER_MAX_LENGTH:
        return '<p dir="auto">' + html.escape(text, quote=False).replace("\n", "<br>\n") + "</p>"
    return _cleaner.clean(_markdown.render(text)).strip()


INLINE_TAGS = {"strong", "em", "del", "s", "code", "a"}
_inline_cleaner = nh3.Cleaner(
    tags=INLINE_TAGS,
    attributes={"a": {"href", "title"}},
    link_rel=LINK_REL,
    url_schemes=URL_SCHEMES,
    set_tag_attribute_values={"a": {"target": "_blank"}},
    url_relative="deny",
)


def inline_html(text: str) -> str:
    """One line of Markdown (a room's topic) as safe inline HTML: emphasis, code, links."""
    return _inline_cleaner.clean(_markdown.renderInline(text[:RENDER_MAX_LENGTH])).strip()


# Tags that end a block (a space between the words either side); any other is dropped.
_BLOCK_TAG = re.compile(r"</?(?:p|li|ul|ol|blockquote|pre|br)\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")


def html_text(rendered: str) -> str:
    """The words of a message's HTML (as ``message_html`` made it), on one line: what a
    quote or a snippet shows, without the Markdown people typed ("**done**" is "done",
    a link its text)."""
    return " ".join(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", rendered))).split())


def plain_text(text: str) -> str:
    """The words of Markdown ``text``, as ``html_text`` gives them."""
    return html_text(message_html(text))
