"""Slack's message markup as the chat's Markdown."""

import pytest

from imports.mrkdwn import emoji_of, slack_markdown

PEOPLE = {"U1": "alice", "U2": "bob"}
ROOMS = {"C1": "general"}


def _text(slack: str) -> str:
    return slack_markdown(slack, people=PEOPLE, rooms=ROOMS).text


@pytest.mark.parametrize(
    ("slack", "markdown"),
    [
        ("hi <@U1>", "hi @alice"),
        ("hi <@U9|carol>", "hi @carol"),  # someone the export doesn't list
        ("see <#C1|general> and <#C7|elsewhere>", "see #general and #elsewhere"),
        (
            "<https://example.com/a?b=1&amp;c=2|the docs>",
            "[the docs](https://example.com/a?b=1&c=2)",
        ),
        ("<https://example.com>", "https://example.com"),
        ("<mailto:a@example.com|a@example.com>", "a@example.com"),
        ("<https://example.com/x|a [draft]>", r"[a \[draft\]](https://example.com/x)"),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"),
        ("&gt; quoted", "> quoted"),
        ("*bold* and _italic_ and ~gone~", "**bold** and _italic_ and ~~gone~~"),
        ("2*3*4 stays", "2*3*4 stays"),
        (":tada: :+1::skin-tone-3: :party-parrot: 10:30:00", "🎉 👍🏼 :party-parrot: 10:30:00"),
        ("<!here> <!channel> <!everyone>", "@here @room @all"),
        ("<!subteam^S1|@devs> at <!date^1392734382^{date}|Feb 18>", "@devs at Feb 18"),
    ],
)
def test_slack_markup_becomes_markdown(slack, markdown):
    assert _text(slack) == markdown


def test_code_is_left_as_written_and_a_block_goes_on_lines_of_its_own():
    slack = "run `*x* <@U1>` then```make &amp;&amp; <https://x.example|go>``` done"
    assert _text(slack) == "run `*x* @alice` then\n```\nmake && https://x.example\n```\ndone"


def test_mentions_and_broadcasts_are_told_apart():
    converted = slack_markdown("<@U2> <@U1> <@U2> <!here>", people=PEOPLE, rooms=ROOMS)
    assert converted.mentioned == ["U2", "U1"]
    assert converted.broadcast == "here"


@pytest.mark.parametrize(
    ("name", "char"),
    [("+1", "👍"), ("thumbsup", "👍"), ("wave::skin-tone-6", "👋🏿"), ("heart", "❤️"),
     ("tada::skin-tone-2", "🎉"), ("our-logo", None)],
)  # fmt: skip
def test_reaction_names_become_emoji(name, char):
    assert emoji_of(name) == char
