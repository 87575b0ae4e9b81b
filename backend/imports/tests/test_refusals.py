"""What ``import_slack`` refuses, and that a refused import leaves nothing behind."""

import io
import json
import zipfile

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from chat.models import Membership, Message, Room
from chat.tests.membership import dm_room, person_new
from imports.models import SlackPerson
from imports.tests.slack_export import (
    ALICE,
    BOB,
    DM,
    channel,
    export_write,
    message,
    workspace,
)

pytestmark = pytest.mark.django_db


def _import(*args: str) -> str:
    out = io.StringIO()
    call_command("import_slack", *args, stdout=out)
    return out.getvalue()


def _refusal(*args: str) -> str:
    with pytest.raises(CommandError) as refused:
        _import(*args)
    return str(refused.value)


def _nothing_imported() -> None:
    assert not Room.objects.exists()
    assert not Message.objects.exists()
    assert not Membership.objects.exists()
    assert not SlackPerson.objects.exists()
    assert not get_user_model().objects.exists()


def _zip(path, files: dict[str, str]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return str(path)


def test_the_command_says_what_it_imported(tmp_path):
    said = _import(str(export_write(tmp_path / "export.zip", **workspace())))
    assert "5 rooms (2 private, 1 direct messages), 12 messages" in said
    assert "3 accounts waiting for their owners to sign up" in said


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "export.zip"
    path.write_text("users,channels\n")
    assert _refusal(str(path)) == (
        "Nothing was imported. export.zip is not a zip file: give the zip Slack's export made."
    )


def test_a_missing_file_is_refused(tmp_path):
    assert f"There is no file at {tmp_path / 'nowhere.zip'}." in _refusal(
        str(tmp_path / "nowhere.zip")
    )


@pytest.mark.parametrize("missing", ["users.json", "channels.json"])
def test_a_zip_without_users_or_channels_is_not_an_export(tmp_path, missing):
    files = {"users.json": "[]", "channels.json": "[]", "notes.txt": "hello"}
    del files[missing]
    refusal = _refusal(_zip(tmp_path / "photos.zip", files))
    assert f"photos.zip is not a Slack export: it has no {missing}." in refusal
    _nothing_imported()


def test_bad_json_is_refused_with_where_it_is(tmp_path):
    path = _zip(tmp_path / "export.zip", {"users.json": '[{"id": "U1",}]', "channels.json": "[]"})
    assert _refusal(path) == (
        "Nothing was imported. users.json in export.zip is not valid JSON (line 1, column 14: "
        "Expecting property name enclosed in double quotes)."
    )


def test_json_of_another_shape_is_refused(tmp_path):
    path = _zip(tmp_path / "export.zip", {"users.json": '{"users": []}', "channels.json": "[]"})
    assert "users.json in export.zip should hold a list of users." in _refusal(path)


def test_importing_again_is_refused_by_the_first_room_name_it_would_take(tmp_path):
    path = str(export_write(tmp_path / "export.zip", **workspace()))
    _import(path)
    counts = (Room.objects.count(), Message.objects.count(), get_user_model().objects.count())
    assert _refusal(path) == (
        "Nothing was imported. There is already a room called “general” here, so Slack's "
        "#general can't become it: import it under another name with "
        "--rename general=<name> (or rename that room in the admin first)."
    )
    assert (Room.objects.count(), Message.objects.count(),
            get_user_model().objects.count()) == counts  # fmt: skip


def test_a_name_taken_in_another_case_is_refused_too(tmp_path):
    Room.objects.create(name="Random")
    refusal = _refusal(str(export_write(tmp_path / "export.zip", **workspace())))
    assert "There is already a room called “Random” here, so Slack's #random" in refusal
    assert Room.objects.count() == 1


def test_a_channel_can_come_in_under_another_name(tmp_path):
    Room.objects.create(name="general")  # as the chat's own set-up makes it
    path = str(export_write(tmp_path / "export.zip", **workspace()))
    _import(path, "--rename", "general=slack-general")
    assert Message.objects.filter(room__name="slack-general").count() == 8
    assert not Message.objects.filter(room__name="general").exists()


def test_a_rename_to_a_name_no_room_can_have_is_refused(tmp_path):
    path = str(export_write(tmp_path / "export.zip", **workspace()))
    refusal = _refusal(path, "--rename", "general=big plans")
    assert refusal.startswith("Nothing was imported. --rename general=big plans: Room names may")
    assert _refusal(path, "--rename", "general") == (
        "--rename takes SLACK=ROOM (say general=slack-general), not 'general'."
    )
    assert "--rename names what isn't a conversation of the export: nope." in _refusal(
        path, "--rename", "nope=anything"
    )
    _nothing_imported()


def test_a_failure_in_the_middle_leaves_nothing(tmp_path):
    export = workspace()
    export["channels"].append(channel("C0LAST", "zz-last", [ALICE, BOB]))
    export["history"]["zz-last"] = [message(10, ALICE, "fine")]
    # Read once the rooms before it are in: people, rooms and messages are stored by then.
    broken = {"zz-last/2020-09-14.json": json.dumps([message(90_000, BOB, "ok")])[:-1]}
    path = str(export_write(tmp_path / "export.zip", files=broken, **export))
    assert _refusal(path).startswith(
        "Nothing was imported. zz-last/2020-09-14.json in export.zip is not valid JSON (line 1"
    )
    _nothing_imported()


def test_a_direct_message_the_two_have_here_already_is_refused_unless_renamed(tmp_path):
    for username, email in [("al", "alice@example.com"), ("bo", "bob@example.com")]:
        EmailAddress.objects.create(
            user=person_new(username), email=email, verified=True, primary=True
        )
    dm_room(*get_user_model().objects.order_by("pk"))
    path = str(export_write(tmp_path / "export.zip", **workspace()))
    assert _refusal(path) == (
        "Nothing was imported. al and bo have direct messages here already, so Slack's "
        f"direct message {DM} can't become them: import it as a private room with "
        f"--rename {DM}=<name>."
    )
    _import(path, "--rename", f"{DM}=al-and-bo")
    room = Room.objects.get(name="al-and-bo")
    assert room.kind == Room.Kind.PRIVATE
    assert {m.user.username for m in room.memberships.all()} == {"al", "bo"}
    assert list(room.messages.values_list("body", flat=True)) == ["hi bob", "hi alice"]


def test_a_channel_name_keeps_what_a_room_name_may_have(tmp_path):
    export = workspace()
    export["channels"][1]["name"] = "café+bar"
    export["history"]["café+bar"] = export["history"].pop("random")
    _import(str(export_write(tmp_path / "export.zip", **export)))
    assert Room.objects.get(name="café-bar").messages.get().body == "Lunch?"
