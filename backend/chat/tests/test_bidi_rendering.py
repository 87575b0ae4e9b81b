"""Bidi isolation in the chat's stylesheet, checked in Chromium: each message paragraph
takes its direction from its own text (as dir="auto" would)."""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from devtools.browser import chromium_executable

STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "chat" / "chat.css"
EXECUTABLE = chromium_executable()

pytestmark = pytest.mark.skipif(EXECUTABLE is None, reason="no Chromium to drive")


def _message(author: str, body: str) -> str:
    """A message as view.js builds it (text escaped for HTML)."""
    return (
        '<li class="message"><div class="message-meta">'
        f'<span class="message-author">{author}</span></div>'
        f'<div class="message-body">{body}</div></li>'
    )


@pytest.fixture(scope="module")
def page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=EXECUTABLE)
        page = browser.new_page()
        yield page
        browser.close()


def _left_of(page, text: str) -> float:
    """The x position of the first occurrence of ``text`` on the page."""
    return page.evaluate(
        """(text) => {
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node; (node = walker.nextNode()); ) {
                const at = node.data.indexOf(text);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + text.length);
                return range.getBoundingClientRect().left;
            }
            throw new Error("not found: " + text);
        }""",
        text,
    )


def _render(page, *messages: str) -> None:
    page.set_content(
        f"<style>{STYLESHEET.read_text()}</style>"
        f'<ol class="chat-log" style="width: 30rem">{"".join(messages)}</ol>'
    )


def test_a_message_starting_in_hebrew_reads_right_to_left(page):
    _render(page, _message("dana", "שלום world"))
    # In a right-to-left paragraph the Hebrew word comes first, on the right.
    assert _left_of(page, "world") < _left_of(page, "שלום")


def test_a_message_starting_in_english_reads_left_to_right(page):
    _render(page, _message("dana", "hello שלום"))
    assert _left_of(page, "hello") < _left_of(page, "שלום")
