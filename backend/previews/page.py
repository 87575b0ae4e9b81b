"""What a page says about itself: its OpenGraph tags, else its ``<title>`` and meta
description. Read with the standard library's HTML parser, up to the end of the
``<head>``; values are plain text (nothing here is ever shown as HTML)."""

import html
from html.parser import HTMLParser
from urllib.parse import urljoin

TITLE_MAX = 200
DESCRIPTION_MAX = 300
SITE_NAME_MAX = 100


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self.in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "title":
            self.in_title = True
        elif tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").lower()
            if key and key not in self.meta and values.get("content"):
                self.meta[key] = values["content"]
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)


def _clean(text: str, limit: int) -> str:
    text = " ".join(html.unescape(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def page_summary(body: bytes, charset: str | None, url: str) -> dict | None:
    """``{"title", "description", "site_name", "image"}`` of an HTML page found at
    ``url`` (``image``: an absolute http(s) URL, or None), or None if it has no title."""
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python doesn't know
        text = body.decode("utf-8", errors="replace")
    head = _Head()
    for start in range(0, len(text), 8192):
        head.feed(text[start : start + 8192])
        if head.done:
            break
    meta = head.meta
    title = _clean(meta.get("og:title") or "".join(head.title), TITLE_MAX)
    if not title:
        return None
    description = meta.get("og:description") or meta.get("description") or ""
    image = meta.get("og:image:secure_url") or meta.get("og:image") or ""
    image = urljoin(url, image.strip()) if image else ""
    return {
        "title": title,
        "description": _clean(description, DESCRIPTION_MAX),
        "site_name": _clean(meta.get("og:site_name", ""), SITE_NAME_MAX),
        "image": image if image.startswith(("http://", "https://")) else None,
    }
