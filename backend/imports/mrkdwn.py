"""Slack's message text ("mrkdwn") as the chat's Markdown.

Slack escapes ``&``, ``<`` and ``>`` in what people typed, and writes what it made of
the text between angle brackets: ``<@U123>`` a person, ``<#C123|name>`` a channel,
``<!here>`` a broadcast, ``<https://x|label>`` a link. Here those become ``@username``,
``#name``, ``@here`` and ``[label](https://x)``; ``*bold*`` becomes ``**bold**``,
``~struck~`` ``~~struck~~`` and ``:smile:`` its emoji. Code is left as it was written
(a mention or link in it as plain text), and a code block goes on lines of its own.
"""

import re
from dataclasses import dataclass, field

import emoji

# What Slack writes between angle brackets; a literal "<" or ">" is always escaped.
_TOKEN = re.compile(r"<([^<>\n]+)>")
# Code blocks (``` … ```), then inline code (` … `): left as written.
_CODE = re.compile(r"```(.*?)```|`[^`\n]+`", re.DOTALL)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_SHORTCODE = re.compile(r":([a-z0-9_+'-]+):(?::skin-tone-([2-6]):)?")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
# Slack's skin tones 2 to 6: the five Fitzpatrick modifiers.
_SKIN_TONES = {str(tone): chr(0x1F3FB + tone - 2) for tone in range(2, 7)}
# Slack's broadcasts, as the chat's words (chat.services.mentions.BROADCAST_WORDS).
BROADCASTS = {"channel": "room", "group": "room", "everyone": "all", "here": "here"}
EMOJI_MAX_LENGTH = 32  # chat.models.Reaction.emoji


@dataclass
class Converted:
    text: str
    mentioned: list[str] = field(default_factory=list)  # Slack user ids, first mention first
    broadcast: str | None = None  # "all", "room" or "here" when the text has one


def unescape(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def emoji_of(name: str) -> str | None:
    """The emoji Slack calls ``name`` ("+1", "tada", "wave::skin-tone-3"), or None for
    one of the workspace's own (custom emoji have no character)."""
    base, _, tone = name.partition("::")
    found = emoji.emojize(f":{base}:", language="alias")
    if found == f":{base}:":
        return None
    tone = tone.removeprefix("skin-tone-").rstrip(":")
    if tone in _SKIN_TONES:
        toned = found.replace("\ufe0f", "") + _SKIN_TONES[tone]
        found = toned if emoji.is_emoji(toned) else found
    if len(found) > EMOJI_MAX_LENGTH or not emoji.is_emoji(found):
        return None
    return found


def slack_markdown(text: str, *, people: dict[str, str], rooms: dict[str, str]) -> Converted:
    """``text`` of a Slack message as Markdown. ``people``: names here (usernames, bots'
    names) by Slack user id; ``rooms``: room names here by Slack channel id."""
    converted = Converted("")
    parts: list[str] = []
    start = 0
    for code in _CODE.finditer(text):
        parts.append(_prose(text[start : code.start()], people, rooms, converted))
        if code.group(1) is not None:  # a block: on lines of its own
            inner = _tokens(code.group(1), people, rooms, converted, plain=True).strip("\n")
            parts[-1] = parts[-1].rstrip(" ")
            before = "" if not parts[-1] or parts[-1].endswith("\n") else "\n"
            parts.append(f"{before}```\n{inner}\n```\n")
            start = code.end()
            while text[start : start + 1] == " ":
                start += 1
            if text[start : start + 1] == "\n":
                start += 1
        else:
            parts.append(_tokens(code.group(0), people, rooms, converted, plain=True))
            start = code.end()
    parts.append(_prose(text[start:], people, rooms, converted))
    converted.text = "".join(parts).strip()
    return converted


def _prose(text: str, people, rooms, converted: Converted) -> str:
    text = _tokens(text, people, rooms, converted, plain=False)
    text = _BOLD.sub(r"**\1**", text)
    text = _STRIKE.sub(r"~~\1~~", text)
    return _SHORTCODE.sub(_shortcode, text)


def _shortcode(match: re.Match) -> str:
    name = match.group(1) + (f"::skin-tone-{match.group(2)}" if match.group(2) else "")
    return emoji_of(name) or match.group(0)


def _tokens(text: str, people, rooms, converted: Converted, *, plain: bool) -> str:
    """``text`` with Slack's <…> written out and its entities unescaped; links as plain
    URLs where Markdown means nothing (``plain``: in code)."""
    out: list[str] = []
    start = 0
    for match in _TOKEN.finditer(text):
        out.append(unescape(text[start : match.start()]))
        out.append(_token(match.group(1), people, rooms, converted, plain=plain))
        start = match.end()
    out.append(unescape(text[start:]))
    return "".join(out)


def _token(inside: str, people, rooms, converted: Converted, *, plain: bool) -> str:
    target, _, label = inside.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        slack_id = target[1:]
        if slack_id in people:
            if slack_id not in converted.mentioned:
                converted.mentioned.append(slack_id)
            return f"@{people[slack_id]}"
        return "@" + (label.lstrip("@") or slack_id)
    if target.startswith("#"):
        return "#" + rooms.get(target[1:], label or target[1:])
    if target.startswith("!"):
        command = target[1:].split("^", 1)[0]
        if command in BROADCASTS:
            word = BROADCASTS[command]
            converted.broadcast = converted.broadcast or word
            return f"@{word}"
        return label  # a user group's "@team", a date's own text
    url = unescape(target)
    if url.startswith("mailto:") and label in ("", url.removeprefix("mailto:")):
        return url.removeprefix("mailto:")  # an address, made a link as any is
    if plain or not label or label == url:
        return url
    return markdown_link(label, url)


def markdown_link(label: str, url: str) -> str:
    """``[label](url)``, whatever brackets the label or the URL hold."""
    label = re.sub(r"([\\\[\]])", r"\\\1", label)
    if re.search(r"[\s()<>]", url):
        url = "<" + re.sub(r"[\s<>]", lambda m: f"%{ord(m.group(0)):02X}", url) + ">"
    return f"[{label}]({url})"
