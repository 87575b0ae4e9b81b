"""Slack exports for the tests, written as Slack's "Export data" writes them: users.json,
channels.json, groups.json, mpims.json and dms.json at the top, and per conversation a
folder of one JSON file per day (by the UTC date of each message's ts)."""

import json
import zipfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

T0 = 1_600_000_000  # 2020-09-13 12:26:40 UTC


def ts(seconds: float) -> str:
    """A Slack timestamp ``seconds`` after T0."""
    return f"{T0 + seconds:.6f}"


def user(slack_id: str, name: str, email: str = "", **extra) -> dict:
    profile = {"real_name": extra.pop("real_name", name.title()), "email": email}
    profile["display_name"] = extra.pop("display_name", "")
    return {"id": slack_id, "team_id": "T01", "name": name, "deleted": False,
            "real_name": profile["real_name"], "tz": extra.pop("tz", "Europe/Berlin"),
            "profile": profile, "is_bot": False, "is_app_user": False, **extra}  # fmt: skip


def channel(slack_id: str, name: str, members: list[str], **extra) -> dict:
    return {
        "id": slack_id, "name": name, "created": T0, "creator": members[0],
        "is_archived": False, "is_general": name == "general", "members": members,
        "topic": {"value": extra.pop("topic", ""), "creator": members[0], "last_set": T0},
        "purpose": {"value": extra.pop("purpose", ""), "creator": members[0], "last_set": T0},
        **extra,
    }  # fmt: skip


def message(seconds: float, author: str, text: str, **extra) -> dict:
    return {"type": "message", "user": author, "text": text, "ts": ts(seconds), **extra}


def reply(seconds: float, author: str, text: str, *, root: float, root_author: str, **extra):
    return message(seconds, author, text, thread_ts=ts(root), parent_user_id=root_author, **extra)


def export_write(
    path: Path,
    *,
    users: list[dict],
    channels: list[dict],
    history: dict[str, list[dict]],
    groups: list[dict] | None = None,
    mpims: list[dict] | None = None,
    dms: list[dict] | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """Write the export zip; ``history``: each conversation's messages by its folder (a
    channel's name, a direct message's id), in any order; ``files``: more files, or
    other text for some, by their name in the zip."""
    written = {"users.json": json.dumps(users), "channels.json": json.dumps(channels)}
    for name, listed in (("groups.json", groups), ("mpims.json", mpims), ("dms.json", dms)):
        if listed is not None:
            written[name] = json.dumps(listed)
    for folder, messages in history.items():
        days = defaultdict(list)
        for item in messages:
            day = datetime.fromtimestamp(float(item["ts"]), tz=UTC).date().isoformat()
            days[day].append(item)
        for day, listed in days.items():
            written[f"{folder}/{day}.json"] = json.dumps(listed, indent=4)
    written |= files or {}
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in written.items():
            archive.writestr(name, text)
    return path


ALICE, BOB, CAROL, DEPLOYBOT = "U0ALICE", "U0BOB", "U0CAROL", "U0DEPLOY"
GENERAL, RANDOM, SECRET, TRIO, DM = "C0GENERAL", "C0RANDOM", "G0SECRET", "G0TRIO", "D0AB"
TRIO_NAME = "mpdm-alice--bob--carol-1"
FILE_URL = "https://files.slack.com/files-pri/T01-F01/q3-report.pdf"


def workspace() -> dict:
    """A small workspace: three people and a bot; #general (with a thread, reactions, an
    edit, a file, a bot's message and Slack's own lines), #random, the private channel
    #secret-plans, a group DM of the three and a DM of Alice and Bob."""
    people = [
        user(ALICE, "alice", "Alice@Example.com", display_name="Alice A.", is_admin=True),
        user(BOB, "bob", "bob@example.com", tz="America/New_York"),
        user(CAROL, "carol", "carol@example.com"),
        {"id": DEPLOYBOT, "name": "deploybot", "is_bot": True, "deleted": False,
         "profile": {"real_name": "deploybot", "bot_id": "B0DEPLOY"}},
    ]  # fmt: skip
    general = [
        # Written newest first: the import puts them in time order.
        message(9000, BOB, "Deployed, thanks <@U0DEPLOY>"),
        message(8000, "U0DEPLOY", "", subtype="bot_message", bot_id="B0DEPLOY",
                username="deploybot", attachments=[{"fallback": "Deployed v1.2 to production"}]),
        message(90_000, ALICE, "Here is the report", subtype="file_share",
                files=[{"id": "F01", "name": "q3-report.pdf", "title": "Q3 report",
                        "url_private": FILE_URL, "mode": "hosted"}]),
        reply(400, CAROL, "Also for everyone: the zeppelin lands at noon", root=100,
              root_author=ALICE, subtype="thread_broadcast"),
        message(300, CAROL, "A *bold* plan &amp; more: <https://example.com/plan|the plan>",
                edited={"user": CAROL, "ts": ts(350)}),
        reply(200, BOB, "Thanks <@U0ALICE>!", root=100, root_author=ALICE),
        message(100, ALICE, "Hello <@U0BOB> and <!here>, see <#C0RANDOM|random>",
                thread_ts=ts(100), reply_count=2, reply_users=[BOB, CAROL],
                reactions=[{"name": "+1", "users": [BOB, CAROL], "count": 2},
                           {"name": "tada::skin-tone-3", "users": [BOB], "count": 1},
                           {"name": "party-parrot", "users": [BOB], "count": 1}]),
        message(50, CAROL, "<@U0CAROL> has joined the channel", subtype="channel_join"),
    ]  # fmt: skip
    return {
        "users": people,
        "channels": [
            channel(
                GENERAL,
                "general",
                [ALICE, BOB, CAROL],
                topic="News for <@U0ALICE>'s team",
                purpose="Everything & anything",
            ),
            channel(RANDOM, "random", [ALICE, BOB]),
        ],  # fmt: skip
        "groups": [channel(SECRET, "secret-plans", [BOB, ALICE], topic="Shh")],
        "mpims": [channel(TRIO, TRIO_NAME, [ALICE, BOB, CAROL])],
        "dms": [{"id": DM, "created": T0, "members": [ALICE, BOB]}],
        "history": {
            "general": general,
            "random": [message(10, BOB, "Lunch?")],
            "secret-plans": [message(20, BOB, "The launch is on Friday")],
            TRIO_NAME: [message(30, CAROL, "Cake at four")],
            DM: [message(40, ALICE, "hi bob"), message(41, BOB, "hi alice")],
        },
    }
