"""Where attachments are kept: a folder, or an S3-compatible bucket chosen by settings."""

from config.tests.test_security import manage

SHOW_STORAGE = """
from django.core.files.storage import storages
storage = storages["default"]
print(type(storage).__module__, type(storage).__name__)
print(storage.bucket_name, storage.endpoint_url, storage.default_acl)
"""


def test_chat_storage_s3_keeps_attachments_in_a_private_bucket():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        SHOW_STORAGE,
        CHAT_STORAGE="s3",
        CHAT_S3_BUCKET="chat-files",
        CHAT_S3_ENDPOINT_URL="https://s3.example.com",
    )
    assert result.stdout.splitlines() == [
        "storages.backends.s3 S3Storage",
        "chat-files https://s3.example.com private",
    ], result.stderr


def test_chat_storage_s3_without_a_bucket_stops_start_up_saying_so():
    result = manage("check", CHAT_STORAGE="s3")
    assert result.returncode != 0
    assert "CHAT_STORAGE=s3 needs CHAT_S3_BUCKET" in result.stderr


def test_an_unknown_storage_stops_start_up_saying_so():
    result = manage("check", CHAT_STORAGE="ftp")
    assert result.returncode != 0
    assert "CHAT_STORAGE must be 'filesystem' or 's3', not 'ftp'" in result.stderr
