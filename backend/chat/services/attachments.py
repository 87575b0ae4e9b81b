"""Attachments: files uploaded to a room, then sent with a message.

An upload is kept through Django's storage API (the ``default`` storage: a folder
in development, S3-compatible storage in production by settings alone). A file
is an image only if Pillow reads it as PNG, JPEG, GIF or WebP of at most
``IMAGE_PIXELS_MAX`` pixels; such an image is stored again without its metadata
(EXIF, GPS, text chunks) and gets a thumbnail. Anything else is kept as bytes and
only ever served as a download.
"""

import io
import secrets
import unicodedata
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from chat.identity import Identity
from chat.models import Attachment, Message, Room
from chat.services import ActionRefused

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
# Larger images are kept as plain files (no thumbnail): decoding them would cost too much.
IMAGE_PIXELS_MAX = 40_000_000
THUMBNAIL_SIZE = (480, 480)
NAME_MAX_LENGTH = 150
# Pillow refuses to decode more than this at all (its guard against decompression bombs).
Image.MAX_IMAGE_PIXELS = IMAGE_PIXELS_MAX


def upload_limit_bytes() -> int:
    return settings.CHAT_UPLOAD_MAX_MB * 1024 * 1024


def file_name_clean(raw: str) -> str:
    """A name safe to show and to put in Content-Disposition: the last path part, no
    control or format characters, no quotes, at most NAME_MAX_LENGTH characters."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in name
        if ch not in "\"'<>:*?|"
    )
    name = " ".join(name.split()).strip(". ")
    if len(name) > NAME_MAX_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        keep = suffix if dot and len(suffix) <= 10 else ""
        name = name[: NAME_MAX_LENGTH - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return name or "file"


def _image(data: bytes) -> tuple[str, bytes, bytes] | None:
    """(content type, the image without metadata, its thumbnail) if ``data`` is an image
    we show, else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if kind not in IMAGE_FORMATS or probe.width * probe.height > IMAGE_PIXELS_MAX:
                    return None
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                if kind == "GIF":
                    clean = data  # re-encoding would lose the animation; GIFs carry no EXIF
                    picture = image.convert("RGBA")
                else:
                    picture = ImageOps.exif_transpose(image)
                    clean = _encoded(picture, kind)
                thumbnail = picture.copy()
                thumbnail.thumbnail(THUMBNAIL_SIZE)
                return IMAGE_FORMATS[kind], clean, _encoded(thumbnail, "WEBP")
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, ValueError, SyntaxError):  # fmt: skip
        return None


def _encoded(picture: Image.Image, kind: str) -> bytes:
    """``picture`` saved anew as ``kind``: only pixels, no metadata."""
    out = io.BytesIO()
    if kind == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    picture.save(out, format=kind, **({"quality": 90} if kind in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def attachment_store(*, room: Room, identity: Identity, name: str, data: bytes) -> Attachment:
    """Keep an upload for the room; not yet part of any message."""
    if len(data) > upload_limit_bytes():
        raise ActionRefused(
            "file_too_large", f"A file may be at most {settings.CHAT_UPLOAD_MAX_MB} MiB."
        )
    if not data:
        raise ActionRefused("empty_file", "The file is empty.")
    name = file_name_clean(name)
    image = _image(data)
    attachment = Attachment(
        key=secrets.token_urlsafe(16),
        room=room,
        sender_key=identity.key,
        name=name,
        size=len(data),
        content_type=image[0] if image else "application/octet-stream",
    )
    stored_name = "upload" + ("." + image[0].split("/")[1] if image else "")
    attachment.file.save(stored_name, ContentFile(image[1] if image else data), save=False)
    if image:
        attachment.thumbnail.save("thumbnail.webp", ContentFile(image[2]), save=False)
        attachment.size = attachment.file.size
    attachment.save()
    return attachment


def attachments_delete(message: Message) -> None:
    """A deleted message's files go (once the deletion is committed)."""
    attachments = list(Attachment.objects.filter(message=message))
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    def remove_files() -> None:
        for attachment in attachments:
            attachment.file.delete(save=False)
            if attachment.thumbnail:
                attachment.thumbnail.delete(save=False)

    transaction.on_commit(remove_files)
