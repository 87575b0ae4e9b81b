"""Export the chat's content to one archive, and restore it into an empty database.

The archive is a gzipped tar: ``manifest.json`` (format, version, counts), one JSON
Lines file per model (Django's ``jsonl`` serializer, primary keys kept, so replies,
seqs and every link come back as they were), and the attachments' files under
``files/``, read and written through the storage API (local disk or S3 alike).

Not exported: sessions, API tokens, webhooks, invitations and push subscriptions
(secrets, or bound to one browser), and groups and permissions.
"""

import io
import json
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

FORMAT, VERSION = "chat-export", 1
# In the order they are restored: each only points at models before it (or itself).
MODELS = [
    "auth.User", "chat.Room", "chat.Membership", "chat.Message", "chat.MessageEdit",
    "chat.Attachment", "chat.Reaction", "chat.Mention", "chat.Mute", "chat.GuestName",
    "chat.Pin", "chat.Saved",
    "integrations.Bot",
]  # fmt: skip
_USER_LEFT_OUT = ("groups", "user_permissions")


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times to the microsecond (it keeps milliseconds)."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """An archive that can't be restored (or written); ``str(error)`` says why."""


def _model(label: str):
    return apps.get_model(label)


def _fields(label: str) -> list[str] | None:
    if label != "auth.User":
        return None
    return [f.name for f in get_user_model()._meta.get_fields()
            if f.concrete and f.name not in _USER_LEFT_OUT and not f.primary_key]  # fmt: skip


def chat_export(path: str | Path) -> dict[str, int]:
    """Write the archive to ``path``; returns the rows written per model."""
    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as work, tarfile.open(path, "w:gz") as archive:
        for label in MODELS:
            rows = _model(label).objects.order_by("pk")
            counts[label] = rows.count()
            part = Path(work) / f"{label}.jsonl"
            with part.open("w", encoding="utf-8") as out:
                serializers.serialize("jsonl", rows.iterator(chunk_size=2000), stream=out,
                                      fields=_fields(label), cls=_Encoder)  # fmt: skip
            archive.add(part, arcname=f"{label}.jsonl")
        files = _attachment_files()
        for name in files:
            data = _stored_bytes(name)
            info = tarfile.TarInfo(f"files/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        counts["files"] = len(files)
        manifest = json.dumps({"format": FORMAT, "version": VERSION, "counts": counts}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        archive.addfile(info, io.BytesIO(manifest))
    return counts


def _attachment_files() -> list[str]:
    names = []
    for file, thumbnail in _model("chat.Attachment").objects.values_list("file", "thumbnail"):
        names += [name for name in (file, thumbnail) if name]
    return names


def chat_restore(path: str | Path) -> dict[str, int]:
    """Load an archive into a freshly migrated database, all of it or (on any error)
    nothing; returns the rows loaded per model. Raises BackupError."""
    try:
        archive = tarfile.open(path, "r:gz")  # noqa: SIM115 (closed by the with below)
    except FileNotFoundError:
        raise BackupError(f"There is no archive at {path}.") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{path} is not a chat archive (a .tar.gz): {exc}") from None
    _check_migrated()
    with archive:
        try:
            manifest = _manifest(archive)
            _check_empty()
            written: list[str] = []
            try:
                with transaction.atomic():
                    counts = {label: _load(archive, label) for label in MODELS}
                    _sequences_reset()
                    # Webhooks aren't in archives: no room has any active after a restore.
                    _model("chat.Room").objects.update(outgoing_webhooks_active=0)
                    counts["files"] = _files_restore(archive, written)
                    _check_counts(manifest, counts)
            except BaseException:
                for name in written:
                    default_storage.delete(name)
                raise
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"The archive is truncated or damaged: {exc}") from None
    return counts


def _check_migrated() -> None:
    """The database has every table of this version: else, say how to make them."""
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise BackupError(
            "The database is not migrated (or not fully): run `python manage.py migrate` "
            "(`invoke migrate`) on it first, then restore into it."
        )


def _check_counts(manifest: dict, counts: dict[str, int]) -> None:
    expected = manifest.get("counts")
    if expected != counts:
        raise BackupError(f"The archive is incomplete: its manifest counts {expected}, "
                          f"but it holds {counts}.")  # fmt: skip


def _manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.extractfile("manifest.json")
        manifest = json.load(member)
    except KeyError:
        raise BackupError("The archive has no manifest.json: it isn't a chat export.") from None
    except ValueError:
        raise BackupError("The archive's manifest.json is not valid JSON.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("The archive's manifest isn't a chat export's.")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"The archive is of version {manifest.get('version')!r}; this server restores "
            f"version {VERSION} only."
        )
    return manifest


def _check_empty() -> None:
    """Rows made by migrations don't count; people, rooms or messages do."""
    for label in ("chat.Room", "auth.User", "chat.Message"):
        rows = _model(label).objects
        if label == "chat.Room" and rows.exists():
            raise BackupError(
                f"The database isn't empty: room “{rows.order_by('pk').first().name}” exists. "
                "Restore into a freshly migrated database."
            )
        if rows.exists():
            raise BackupError(
                f"The database isn't empty: it has {label} rows. "
                "Restore into a freshly migrated database."
            )


def _load(archive: tarfile.TarFile, label: str) -> int:
    try:
        member = archive.extractfile(f"{label}.jsonl")
    except KeyError:
        raise BackupError(f"The archive has no {label}.jsonl.") from None
    count = 0
    for number, line in enumerate(io.TextIOWrapper(member, encoding="utf-8"), start=1):
        if not line.strip():
            continue
        try:
            [row] = serializers.deserialize("jsonl", line)
            if row.object._meta.label != label:
                raise DeserializationError(f"a {row.object._meta.label} row")
            row.save()
        except (DeserializationError, ValueError) as exc:
            raise BackupError(f"{label}.jsonl, line {number}: {exc}") from None
        count += 1
    return count


def _sequences_reset() -> None:
    """Primary keys were given: move the database's id sequences past them."""
    models = [_model(label) for label in MODELS]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def _files_restore(archive: tarfile.TarFile, written: list[str]) -> int:
    count = 0
    for member in archive:
        if not member.isfile() or not member.name.startswith("files/"):
            continue
        name = member.name.removeprefix("files/")
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise BackupError(f"The archive holds a file outside the media folder: {name}")
        data = archive.extractfile(member).read()
        if default_storage.exists(name) and _stored_bytes(name) == data:
            count += 1  # the storage outlived the database: its file is this one
            continue
        saved = default_storage.save(name, ContentFile(data))
        written.append(saved)
        if saved != name:
            raise BackupError(f"The storage already holds a file named {name}.")
        count += 1
    return count


def _stored_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return stored.read()
