"""The bodies Slack's incoming webhooks take, as a message's Markdown.

A tool written for Slack posts ``{"text": ...}`` and often ``{"blocks": [...]}``
(Block Kit), as JSON or as a form whose ``payload`` field is that JSON. The text is
our Markdown already (chat.formatting), with Slack's ``<url|label>`` links and
``<@user>``, ``<#channel>``, ``<!here>`` mentions understood. Blocks win over the text
when they have something to show (Slack keeps the text for notifications): section,
header, context, divider, image and rich_text blocks become lines of Markdown;
``mrkdwn`` text objects are taken from Slack's Markdown where it maps (``*bold*``,
``_italic_``, ``~strike~``, code, quotes, links) and ``plain_text`` is shown as written.
Blocks with nothing to read (actions, inputs) are left out.
"""

import html
import re

from django.utils.translation import gettext as _

from chat.services import ActionRefused

BLOCKS_MAX = 50  # as Slack: more blocks than this in one message is refused
DIVIDER = "———"
# Slack's @here, @channel and @everyone are this chat's @here, @room and @all.
BROADCASTS = {"here": "@here", "channel": "@room", "everyone": "@all"}
_ANGLED = re.compile(r"<([^<>\n]+)>")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Stand-ins for what emphasis must not touch while it is converted (code, links).
_HELD = re.compile("\ue000(\\d+)\ue001")
_CODE = re.compile(r"```(.+?)```|`([^`\n]+)`", re.DOTALL)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_BULLET = re.compile(r"^([ \t]*)•[ \t]*", re.MULTILINE)
# What Markdown would read as formatting in text meant to be shown as it is.
_SPECIAL = re.compile(r"([\\`*_~\[\]<>&])")
_LINE_START_SPECIAL = re.compile(r"^([ \t]*)([-+#>]|\d+[.)])(?=[ \t]|$)", re.MULTILINE)


def _refused(detail: str) -> ActionRefused:
    return ActionRefused("invalid_blocks", detail)


def webhook_text(data: dict) -> object:
    """The text a webhook's body asks to post: its blocks as Markdown when they show
    something, else its ``text`` (returned as it is when it isn't a string, for the
    message's own checks to refuse). Raises ActionRefused ``missing_text`` or
    ``invalid_blocks``."""
    if data.get("blocks") is not None:
        shown = blocks_markdown(data["blocks"])
        if shown.strip():
            return shown
        if data.get("text") is None:
            raise ActionRefused(
                "missing_text", _('The "blocks" have nothing to show, and there is no "text".')
            )
    if data.get("text") is None:
        raise ActionRefused(
            "missing_text", _('The body has no "text" field (nor Slack\'s "blocks").')
        )
    text = data["text"]
    return angled_markdown(text) if isinstance(text, str) else text


def escaped(text: str) -> str:
    """``text`` shown as written: what Markdown would take as formatting is escaped."""
    text = _SPECIAL.sub(r"\\\1", text)
    return _LINE_START_SPECIAL.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), text)


def _escape_marker(marker: str) -> str:
    return marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker


def _angled(inner: str) -> str | None:
    """Markdown for one of Slack's ``<…>`` forms; None for one that isn't."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (label.lstrip("@") or target[1:])
    if target.startswith("#"):
        return "#" + (label.lstrip("#") or target[1:])
    if target.startswith("!"):
        word = target[1:].split("^", 1)[0]
        return BROADCASTS.get(word) or label
    if not _SCHEME.match(target) or " " in target:
        return None
    if not label:
        return f"<{target}>"
    return f"[{escaped(html.unescape(label))}](<{target}>)"


def angled_markdown(text: str) -> str:
    """``text`` with Slack's links and mentions (``<url|label>``, ``<@U1>``, ``<!here>``)
    as Markdown; the rest untouched."""
    if "<" not in text:
        return text

    def one(match: re.Match) -> str:
        found = _angled(match.group(1))
        return match.group(0) if found is None else found

    return _ANGLED.sub(one, text)


def mrkdwn_markdown(text: str) -> str:
    """A ``mrkdwn`` text object's text as Markdown: ``*bold*`` → ``**bold**``, ``~x~`` →
    ``~~x~~``, code spans and blocks kept as they are, ``•`` lines as a list, links and
    mentions as angled_markdown makes them, Slack's ``&lt;`` escapes undone."""
    held: list[str] = []

    def hold(markdown: str) -> str:
        held.append(markdown)
        return f"\ue000{len(held) - 1}\ue001"

    def code(match: re.Match) -> str:
        if match.group(1) is not None:
            block = html.unescape(match.group(1)).strip("\n")
            return hold(f"\n```\n{block}\n```\n")
        span = html.unescape(match.group(2))
        fence = "``" if "`" in span else "`"
        return hold(f"{fence}{span}{fence}")

    def angled(match: re.Match) -> str:
        found = _angled(match.group(1))
        return match.group(0) if found is None else hold(found)

    text = _CODE.sub(code, text.replace("\ue000", "").replace("\ue001", ""))
    text = html.unescape(_ANGLED.sub(angled, text))
    text = _BOLD.sub(r"**\1**", text)
    text = _STRIKE.sub(r"~~\1~~", text)
    text = _BULLET.sub(r"\1- ", text)
    return _HELD.sub(lambda m: held[int(m.group(1))], text)


def text_object_markdown(obj: object, where: str) -> str:
    """A Block Kit text object (``{"type": "mrkdwn"|"plain_text", "text": ...}``)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise _refused(
            _('{where}: a text must be an object with a string "text".').format(where=where)
        )
    if obj.get("type") == "plain_text":
        return escaped(obj["text"])
    return mrkdwn_markdown(obj["text"])


def blocks_markdown(blocks: object) -> str:
    """Slack's ``blocks`` as Markdown, a paragraph each; "" when none shows anything."""
    if not isinstance(blocks, list):
        raise _refused(_('"blocks" must be a list of blocks.'))
    if len(blocks) > BLOCKS_MAX:
        raise _refused(_("A message has at most {count} blocks.").format(count=BLOCKS_MAX))
    shown = []
    for number, block in enumerate(blocks, 1):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise _refused(
                _('Block {number} must be an object with a "type".').format(number=number)
            )
        render = _BLOCKS.get(block["type"])
        if render is not None:
            markdown = render(
                block, _("Block {number} ({type})").format(number=number, type=block["type"])
            ).strip("\n")
            if markdown.strip():
                shown.append(markdown)
    return "\n\n".join(shown)


def _section(block: dict, where: str) -> str:
    parts = []
    if block.get("text") is not None:
        parts.append(text_object_markdown(block["text"], where))
    fields = block.get("fields")
    if fields is not None:
        if not isinstance(fields, list):
            raise _refused(_('{where}: "fields" must be a list of texts.').format(where=where))
        parts.append("\n".join(text_object_markdown(field, where) for field in fields))
    return "\n\n".join(part for part in parts if part.strip())


def _header(block: dict, where: str) -> str:
    text = text_object_markdown(block.get("text"), where).strip()
    return f"**{text}**" if text else ""


def _context(block: dict, where: str) -> str:
    elements = block.get("elements")
    if not isinstance(elements, list):
        raise _refused(_('{where}: "elements" must be a list.').format(where=where))
    texts = [
        text_object_markdown(element, where)
        for element in elements
        if not (isinstance(element, dict) and element.get("type") == "image")
    ]
    return " ".join(text for text in texts if text.strip())


def _divider(block: dict, where: str) -> str:
    return DIVIDER


def _image(block: dict, where: str) -> str:
    url = block.get("image_url")
    if not isinstance(url, str) or not _SCHEME.match(url) or " " in url:
        return ""
    title = block.get("title")
    label = title.get("text") if isinstance(title, dict) else None
    label = label if isinstance(label, str) and label else block.get("alt_text")
    return f"[{escaped(label)}](<{url}>)" if isinstance(label, str) and label else f"<{url}>"


def _rich_text(block: dict, where: str) -> str:
    elements = block.get("elements")
    if not isinstance(elements, list):
        raise _refused(_('{where}: "elements" must be a list.').format(where=where))
    out, previous = "", None
    for element in elements:
        if not isinstance(element, dict):
            raise _refused(_("{where}: each element must be an object.").format(where=where))
        kind = element.get("type")
        if kind == "rich_text_list":
            markdown = _rich_list(element, where)
        elif kind == "rich_text_preformatted":
            markdown = "```\n" + _inline(element, where, styled=False).strip("\n") + "\n```"
        elif kind == "rich_text_quote":
            quoted = _inline(element, where).strip("\n").split("\n")
            markdown = "\n".join("> " + line for line in quoted)
        elif kind == "rich_text_section":
            markdown = _inline(element, where).strip("\n")
        else:
            continue
        if not markdown.strip():
            continue
        if out:
            # Lists that follow each other nest; anything else is a paragraph of its own.
            out += "\n" if kind == previous == "rich_text_list" else "\n\n"
        out += markdown
        previous = kind
    return out


def _rich_list(element: dict, where: str) -> str:
    items = element.get("elements")
    if not isinstance(items, list):
        raise _refused(_('{where}: a list\'s "elements" must be a list.').format(where=where))
    indent = element.get("indent")
    indent = indent if isinstance(indent, int) and 0 <= indent <= 8 else 0
    offset = element.get("offset")
    start = (offset if isinstance(offset, int) and offset >= 0 else 0) + 1
    ordered = element.get("style") == "ordered"
    lines = []
    for number, item in enumerate(items, start):
        if not isinstance(item, dict):
            raise _refused(_("{where}: each list item must be an object.").format(where=where))
        marker = f"{number}." if ordered else "-"
        text = _inline(item, where).strip("\n").replace("\n", "\n" + " " * (4 * indent + 4))
        lines.append(" " * (4 * indent) + f"{marker} {text}")
    return "\n".join(lines)


def _inline(element: dict, where: str, *, styled: bool = True) -> str:
    parts = element.get("elements")
    if not isinstance(parts, list):
        raise _refused(_('{where}: "elements" must be a list.').format(where=where))
    return "".join(_rich_piece(part, where, styled) for part in parts)


def _rich_piece(part: object, where: str, styled: bool) -> str:
    if not isinstance(part, dict):
        raise _refused(_("{where}: each element must be an object.").format(where=where))
    kind = part.get("type")
    style = part.get("style") if isinstance(part.get("style"), dict) else {}
    if kind == "text" and isinstance(part.get("text"), str):
        if not styled:
            return part["text"]
        return _styled(part["text"], style)
    if kind == "link" and isinstance(part.get("url"), str):
        url, label = part["url"], part.get("text")
        if not _SCHEME.match(url) or " " in url:
            return escaped(label) if isinstance(label, str) else ""
        if not styled:
            return label if isinstance(label, str) and label else url
        if isinstance(label, str) and label:
            return f"[{escaped(label)}](<{url}>)"
        return f"<{url}>"
    if kind == "emoji":
        return _emoji(part)
    if kind == "user":
        return "@" + str(part.get("user_id", ""))
    if kind == "usergroup":
        return "@" + str(part.get("usergroup_id", ""))
    if kind == "channel":
        return "#" + str(part.get("channel_id", ""))
    if kind == "broadcast":
        return BROADCASTS.get(str(part.get("range", "")), "")
    if kind == "date" and isinstance(part.get("fallback"), str):
        return escaped(part["fallback"]) if styled else part["fallback"]
    if kind == "color" and isinstance(part.get("value"), str):
        return part["value"]
    return ""


def _styled(text: str, style: dict) -> str:
    """``text`` with Slack's rich text style as Markdown; spaces at its ends stay outside
    the markers, where Markdown needs them."""
    core = text.strip()
    if not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    if style.get("code"):
        fence = "``" if "`" in core else "`"
        return f"{lead}{fence}{core}{fence}{trail}"
    core = escaped(core)
    for key, marker in (("strike", "~~"), ("italic", "_"), ("bold", "**")):
        if style.get(key):
            core = f"{marker}{core}{marker}"
    return lead + core + trail


def _emoji(part: dict) -> str:
    code = part.get("unicode")
    if isinstance(code, str) and code:
        try:
            points = [int(point, 16) for point in code.split("-")]
        except ValueError:
            points = []
        if points and all(0 < p <= 0x10FFFF and not 0xD800 <= p <= 0xDFFF for p in points):
            return "".join(map(chr, points))
    name = part.get("name")
    return f":{name}:" if isinstance(name, str) and name else ""


_BLOCKS = {
    "section": _section,
    "header": _header,
    "context": _context,
    "divider": _divider,
    "image": _image,
    "rich_text": _rich_text,
}
