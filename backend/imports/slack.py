"""Reading a Slack workspace export: the zip Slack's "Export data" makes.

At its top (or in one folder): ``users.json`` and ``channels.json``, and when the
export has them ``groups.json`` (private channels), ``mpims.json`` (group direct
messages) and ``dms.json`` (direct messages); then a folder per conversation (named
as the channel, or by its id for a direct message) of one JSON file per day,
``<YYYY-MM-DD>.json``, each a list of messages. Anything else in it is ignored.
"""

import json
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path


class ExportRefused(Exception):
    """An export that can't be imported; ``str(error)`` says why, for people."""


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str  # the handle ("alice"): their username here, if free
    display_name: str
    email: str
    time_zone: str
    bot: bool  # a bot or app account: their messages are kept, no account is made


@dataclass(frozen=True)
class SlackChannel:
    id: str
    name: str  # as in Slack ("general"); a direct message's is its id
    kind: str  # "public", "private", "mpim" or "dm"
    members: tuple[str, ...]
    creator: str = ""
    created: int = 0  # seconds since 1970
    topic: str = ""
    purpose: str = ""
    archived: bool = False
    folder: str = field(default="", compare=False)  # of its day files, in the export


# The conversation lists: the file, what it holds, and whether an export always has it.
LISTS = (
    ("channels.json", "public", True),
    ("groups.json", "private", False),
    ("mpims.json", "mpim", False),
    ("dms.json", "dm", False),
)
_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")


def slack_ts(value: object) -> Decimal | None:
    """A Slack timestamp ("1512085950.000216": seconds, with microseconds) as a number."""
    if not isinstance(value, str):
        return None
    try:
        ts = Decimal(value)
    except InvalidOperation:
        return None
    return ts if ts.is_finite() and ts >= 0 else None


class SlackExport:
    """An export zip, open for reading (a context manager)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise ExportRefused(f"There is no file at {path}.")
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise ExportRefused(
                f"{path.name} is not a zip file: give the zip Slack's export made."
            ) from None
        self._name = path.name
        names = [info.filename for info in self._zip.infolist() if not info.is_dir()]
        self._names = set(names)
        self._top = self._top_folder(names)

    def __enter__(self) -> "SlackExport":
        return self

    def __exit__(self, *exc) -> None:
        self._zip.close()

    def _top_folder(self, names: list[str]) -> str:
        """Where users.json and channels.json are: at the top, or in one folder."""
        for top in sorted({""} | {name.split("/", 1)[0] + "/" for name in names if "/" in name}):
            if f"{top}users.json" in self._names and f"{top}channels.json" in self._names:
                return top
        for wanted in ("users.json", "channels.json"):
            if not any(name.rsplit("/", 1)[-1] == wanted for name in names):
                raise ExportRefused(
                    f"{self._name} is not a Slack export: it has no {wanted}. Export the "
                    "workspace from Slack (Settings & administration → Workspace settings "
                    "→ Import/Export Data) and give that zip."
                )
        raise ExportRefused(
            f"{self._name} is not a Slack export: users.json and channels.json are not "
            "side by side in it."
        )

    def _json(self, name: str):
        try:
            raw = self._zip.read(self._top + name)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise ExportRefused(f"{name} can't be read from {self._name}: {exc}.") from None
        try:
            return json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise ExportRefused(f"{name} in {self._name} is not UTF-8 text.") from None
        except json.JSONDecodeError as exc:
            raise ExportRefused(
                f"{name} in {self._name} is not valid JSON (line {exc.lineno}, column "
                f"{exc.colno}: {exc.msg})."
            ) from None

    def _list(self, name: str, what: str) -> list[dict]:
        value = self._json(name)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise ExportRefused(f"{name} in {self._name} should hold a list of {what}.")
        for item in value:
            if not isinstance(item.get("id"), str) or not item["id"]:
                raise ExportRefused(f"{name} in {self._name} has one of its {what} without an id.")
        return value

    def users(self) -> list[SlackUser]:
        users = []
        for raw in self._list("users.json", "users"):
            profile = raw.get("profile") if isinstance(raw.get("profile"), dict) else {}
            users.append(
                SlackUser(
                    id=raw["id"],
                    name=_text(raw.get("name")),
                    display_name=_text(profile.get("display_name"))
                    or _text(profile.get("real_name"))
                    or _text(raw.get("real_name")),
                    email=_text(profile.get("email")),
                    time_zone=_text(raw.get("tz")),
                    bot=bool(raw.get("is_bot") or raw.get("is_app_user"))
                    or raw["id"] == "USLACKBOT",
                )
            )
        return users

    def channels(self) -> list[SlackChannel]:
        channels = []
        for name, kind, always in LISTS:
            if not always and self._top + name not in self._names:
                continue
            for raw in self._list(name, "conversations"):
                members = raw.get("members") if isinstance(raw.get("members"), list) else []
                channel_name = raw["id"] if kind == "dm" else _text(raw.get("name"))
                if not channel_name:
                    raise ExportRefused(f"{name} in {self._name} has a channel without a name.")
                channels.append(
                    SlackChannel(
                        id=raw["id"],
                        name=channel_name,
                        kind=kind,
                        members=tuple(dict.fromkeys(m for m in members if isinstance(m, str))),
                        creator=_text(raw.get("creator") or raw.get("user")),
                        created=raw["created"] if isinstance(raw.get("created"), int) else 0,
                        topic=_about(raw.get("topic")),
                        purpose=_about(raw.get("purpose")),
                        archived=bool(raw.get("is_archived")),
                        folder=channel_name,
                    )
                )
        return channels

    def messages(self, channel: SlackChannel) -> list[dict]:
        """The channel's messages, oldest first, each once (by its ``ts``)."""
        folder = f"{self._top}{channel.folder}/"
        days = sorted(
            name for name in self._names
            if name.startswith(folder) and _DAY_FILE.fullmatch(name[len(folder):])
        )  # fmt: skip
        found: dict[Decimal, dict] = {}
        for day in days:
            name = day[len(self._top) :]
            value = self._json(name)
            if not isinstance(value, list):
                raise ExportRefused(f"{name} in {self._name} should hold a list of messages.")
            for message in value:
                ts = slack_ts(message.get("ts")) if isinstance(message, dict) else None
                if ts is None:
                    raise ExportRefused(f"{name} in {self._name} has a message without a valid ts.")
                found.setdefault(ts, message)
        return [found[ts] for ts in sorted(found)]


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _about(value: object) -> str:
    """A channel's topic or purpose: ``{"value": "...", "creator": ..., "last_set": ...}``."""
    return _text(value.get("value")) if isinstance(value, dict) else ""
