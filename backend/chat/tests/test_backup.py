"""Export and restore: a round trip gives back every row and file as it was, seqs and
links included; a bad archive, or a database with content, is refused and loads nothing."""

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection

from chat.backup import MODELS, BackupError, chat_export, chat_restore
from chat.models import Attachment, Message, Pin, Room, Saved, UsernameLook
from chat.services import editing, moderation, reactions
from chat.services.attachments import attachment_store
from chat.services.storing import Post, messages_store
from chat.tests.membership import dm_room, identity, post, private_room
from chat.tests.services.test_attachments import png
from integrations.bots import bot_create

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-passphrase-1"


def content(alice, bob) -> None:
    """A little of everything the archive must carry."""
    alice.set_password(PASSWORD)
    alice.save()
    private_room("plans", alice, bob)
    dm_room(alice, bob)
    first = post("plans", alice, "hello @bob")
    post("plans", bob, "typo here")
    editing.message_edit_store(room_name="plans", seq=2, identity=identity(bob), text="fixed")
    reactions.reaction_toggle_store(room_name="plans", seq=1, identity=identity(bob), emoji="👍")
    messages_store(room_name="plans",
                   posts=[Post(identity(bob), "a reply", "n-1", reply_to=first.seq)])  # fmt: skip
    post("plans", alice, "to be deleted")
    moderation.message_delete_store(room_name="plans", seq=4, identity=identity(alice))
    upload = attachment_store(room=Room.objects.get(name="plans"), identity=identity(alice),
                              name="cat.png", data=png())  # fmt: skip
    upload.message = Message.objects.get(seq=1)
    upload.save()
    plans = Room.objects.get(name="plans")
    Pin.objects.create(room=plans, message=first, pinned_by=alice, pinned_by_name="alice")
    Saved.objects.create(user=bob, message=first)
    bot_create(username="deploy-bot", by=alice)
    post("lobby", get_user_model().objects.get(username="deploy-bot"), "deployed")


def snapshot() -> dict:
    """Every exported row, as the serializer sees it, and every attachment's bytes."""
    rows = {label: serializers.serialize("json", _objects(label)) for label in MODELS}
    rows["seqs"] = list(Room.objects.order_by("name").values_list("name", "last_seq"))
    files = {}
    for attachment in Attachment.objects.all():
        for field in (attachment.file, attachment.thumbnail):
            if field:
                with default_storage.open(field.name, "rb") as stored:
                    files[field.name] = stored.read()
    return {"rows": rows, "files": files}


def _objects(label):
    return apps.get_model(label).objects.order_by("pk")


def empty_database() -> None:
    for attachment in Attachment.objects.all():
        for field in (attachment.file, attachment.thumbnail):
            if field:
                default_storage.delete(field.name)
    rows_delete()


def rows_delete() -> None:
    """Every exported row gone, as from a lost database (the storage is left as it is)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {UsernameLook._meta.db_table}")  # kept beside accounts
        for label in reversed(MODELS):
            cursor.execute(f"DELETE FROM {_objects(label).model._meta.db_table}")


@pytest.fixture
def archive(tmp_path, alice, bob):
    content(alice, bob)
    path = tmp_path / "backup.tar.gz"
    before = snapshot()
    chat_export(path)
    return path, before


def test_a_round_trip_gives_back_everything(archive):
    path, before = archive
    empty_database()
    assert not Message.objects.exists()
    counts = chat_restore(path)
    assert counts["chat.Message"] == 5 and counts["files"] == 2
    assert snapshot() == before


def test_times_come_back_to_the_microsecond(archive):
    path, _ = archive
    before = list(Message.objects.order_by("pk").values_list("created", "edited_at"))
    assert any(created.microsecond % 1000 for created, _ in before)
    empty_database()
    chat_restore(path)
    assert list(Message.objects.order_by("pk").values_list("created", "edited_at")) == before


def test_a_restore_beside_the_storage_that_outlived_the_database(archive):
    path, before = archive
    rows_delete()
    assert chat_restore(path)["files"] == 2
    assert snapshot() == before


def test_a_restored_person_keeps_their_password(archive):
    path, _ = archive
    empty_database()
    chat_restore(path)
    assert get_user_model().objects.get(username="alice").check_password(PASSWORD)


def test_new_rows_after_a_restore_get_new_ids(archive):
    path, _ = archive
    empty_database()
    chat_restore(path)
    last = Message.objects.order_by("-pk").first().pk
    assert post("plans", get_user_model().objects.get(username="alice")).pk > last


def test_a_database_with_content_is_refused(archive):
    path, _ = archive
    with pytest.raises(BackupError, match="room “.*” exists"):
        chat_restore(path)


def test_a_room_that_exists_is_named(archive):
    path, _ = archive
    empty_database()
    Room.objects.create(name="plans")
    with pytest.raises(BackupError, match="“plans” exists"):
        chat_restore(path)
    assert not Message.objects.exists()


def test_a_truncated_archive_loads_nothing(archive, tmp_path):
    path, _ = archive
    cut = tmp_path / "cut.tar.gz"
    data = path.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    empty_database()
    with pytest.raises(BackupError, match="truncated|not a chat archive|no manifest"):
        chat_restore(cut)
    assert not get_user_model().objects.exists() and not Message.objects.exists()


def test_a_file_that_isnt_an_archive_is_refused(tmp_path):
    path = tmp_path / "notes.tar.gz"
    path.write_text("not an archive")
    with pytest.raises(BackupError, match="not a chat archive"):
        chat_restore(path)


def _rewritten(path, tmp_path, change) -> str:
    """The archive with ``change(name, data) -> data`` applied to each member."""
    out = tmp_path / "changed.tar.gz"
    with tarfile.open(path, "r:gz") as source, tarfile.open(out, "w:gz") as target:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return out


def test_an_archive_of_another_version_is_refused(archive, tmp_path):
    path, _ = archive

    def version_2(name, data):
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), "version": 2}).encode()

    empty_database()
    with pytest.raises(BackupError, match="version 2; this server restores version 1"):
        chat_restore(_rewritten(path, tmp_path, version_2))


def test_a_broken_line_is_named_and_nothing_is_loaded(archive, tmp_path):
    path, _ = archive

    def broken(name, data):
        return data + b"{not json\n" if name == "chat.Message.jsonl" else data

    empty_database()
    with pytest.raises(BackupError, match=r"chat\.Message\.jsonl, line 6"):
        chat_restore(_rewritten(path, tmp_path, broken))
    assert not get_user_model().objects.exists() and not Room.objects.exists()


def test_the_commands_export_and_restore(archive, tmp_path, capsys):
    path, _ = archive
    out = tmp_path / "again.tar.gz"
    call_command("export_chat", str(out))
    assert "5 chat.Message" in capsys.readouterr().out
    with pytest.raises(CommandError, match="isn't empty"):
        call_command("restore_chat", str(out))


def test_a_relative_path_is_taken_from_where_invoke_ran(archive, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAT_WORKING_DIR", str(tmp_path / "here"))
    (tmp_path / "here").mkdir()
    call_command("export_chat", "relative.tar.gz")
    assert tarfile.is_tarfile(tmp_path / "here" / "relative.tar.gz")


def test_a_restore_into_a_database_never_migrated_says_to_migrate_first(archive, tmp_path):
    path, _ = archive
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}",
        "CHAT_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "restore_chat", str(path)],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1
    assert "not migrated" in done.stderr and "migrate" in done.stderr
    assert "Traceback" not in done.stderr


def test_no_room_has_outgoing_webhooks_after_a_restore(tmp_path, alice, bob):
    content(alice, bob)
    Room.objects.update(outgoing_webhooks_active=2)  # webhooks aren't in archives
    path = tmp_path / "backup.tar.gz"
    chat_export(path)
    empty_database()
    chat_restore(path)
    assert set(Room.objects.values_list("outgoing_webhooks_active", flat=True)) == {0}
