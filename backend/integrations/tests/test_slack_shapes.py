"""Slack's mrkdwn, text objects and rich text as this chat's Markdown."""

import pytest

from chat.services import ActionRefused
from integrations.slack_shapes import (
    angled_markdown,
    blocks_markdown,
    escaped,
    mrkdwn_markdown,
    webhook_text,
)


def rich(*elements) -> list[dict]:
    return [{"type": "rich_text", "elements": list(elements)}]


def section(*parts) -> dict:
    return {"type": "rich_text_section", "elements": list(parts)}


def text(value: str, **style) -> dict:
    return (
        {"type": "text", "text": value, "style": style}
        if style
        else {"type": "text", "text": value}
    )


@pytest.mark.parametrize(
    "mrkdwn, markdown",
    [
        ("*bold* and _italic_", "**bold** and _italic_"),
        ("~gone~", "~~gone~~"),
        ("a*b*c stays", "a*b*c stays"),
        ("`*code*` kept", "`*code*` kept"),
        ("```x = *1*```", "\n```\nx = *1*\n```\n"),
        ("<https://a.example/?q=1|the *site*>", "[the \\*site\\*](<https://a.example/?q=1>)"),
        ("<https://a.example/>", "<https://a.example/>"),
        ("<mailto:a@b.example|mail>", "[mail](<mailto:a@b.example>)"),
        ("hi <@U123> and <@U9|bob>", "hi @U123 and @bob"),
        ("in <#C1|general>", "in #general"),
        ("<!here> <!channel> <!everyone>", "@here @room @all"),
        ("<!date^1392734382^{date}|Feb 18>", "Feb 18"),
        ("&lt;b&gt; &amp; co", "<b> & co"),
        ("• one\n• two", "- one\n- two"),
        ("&gt; quoted", "> quoted"),
    ],
    ids=[
        "bold", "strike", "inside-words", "code", "code-block", "link", "bare-link", "mailto",
        "users", "channel", "broadcasts", "date", "escapes", "bullets", "quote",
    ],
)  # fmt: skip
def test_mrkdwn_becomes_markdown(mrkdwn, markdown):
    assert mrkdwn_markdown(mrkdwn) == markdown


def test_plain_text_is_shown_as_written():
    assert escaped("*x* [a](b) <c> & _d_") == "\\*x\\* \\[a\\](b) \\<c\\> \\& \\_d\\_"
    assert escaped("- item\n1. first") == "\\- item\n1\\. first"


def test_the_top_level_text_keeps_its_markdown_and_takes_slacks_links():
    assert angled_markdown("**ok** <https://x.example|log>") == "**ok** [log](<https://x.example>)"
    assert angled_markdown("a <b> c") == "a <b> c"


def test_rich_text_styles_keep_spaces_outside_their_markers():
    blocks = rich(section(text("Hello "), text("big ", bold=True), text("x", code=True)))
    assert blocks_markdown(blocks) == "Hello **big** `x`"


def test_rich_text_lists_nest_and_number():
    blocks = rich(
        {"type": "rich_text_list", "style": "bullet", "elements": [section(text("a"))]},
        {"type": "rich_text_list", "style": "ordered", "indent": 1, "offset": 2,
         "elements": [section(text("b")), section(text("c"))]},
    )  # fmt: skip
    assert blocks_markdown(blocks) == "- a\n    3. b\n    4. c"


def test_rich_text_quotes_code_emoji_and_mentions():
    blocks = rich(
        {"type": "rich_text_quote", "elements": [text("said\nthis")]},
        {"type": "rich_text_preformatted", "elements": [text("*raw*")]},
        section(
            {"type": "emoji", "name": "wave", "unicode": "1f44b"},
            {"type": "emoji", "name": "party"},
            {"type": "user", "user_id": "U1"},
            {"type": "broadcast", "range": "here"},
        ),
    )
    assert blocks_markdown(blocks) == "> said\n> this\n\n```\n*raw*\n```\n\n👋:party:@U1@here"


def test_blocks_win_over_the_text_when_they_show_something():
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "from blocks"}}]
    assert webhook_text({"text": "fallback", "blocks": blocks}) == "from blocks"
    assert webhook_text({"text": "fallback", "blocks": [{"type": "divider"}]}) == "———"
    assert webhook_text({"text": "fallback", "blocks": [{"type": "actions"}]}) == "fallback"


def test_a_body_without_text_or_blocks_is_refused():
    with pytest.raises(ActionRefused) as refused:
        webhook_text({"message": "hi"})
    assert refused.value.code == "missing_text"


def test_too_many_blocks_are_refused():
    with pytest.raises(ActionRefused) as refused:
        blocks_markdown([{"type": "divider"}] * 51)
    assert refused.value.code == "invalid_blocks"
