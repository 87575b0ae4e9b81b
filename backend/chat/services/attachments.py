"""Attachments: files uploaded to a room, then sent with a message.

An upload is kept through Django's storage API (the ``default`` storage: a folder
in development, S3-compatible storage in production by settings alone). A file
is an image only if Pillow reads it as PNG, JPEG (a phone's MPO too), GIF or WebP
of at most ``CHAT_IMAGE_PIXELS_MAX`` pixels; such an image is stored again from
its pixels alone (no EXIF, GPS, XMP, comments, text chunks or trailing bytes; a
GIF frame by frame) and gets a thumbnail. Anything else is kept as bytes and only
ever served as a download.

Decoding is bounded: at most ``CHAT_IMAGE_DECODES_MAX`` images at once in a
process (the next waits up to ``DECODE_WAIT_SECONDS``, then is refused ``busy``),
no full-size copy kept beside another, and the memory handed back afterwards.

Uploads are bounded too: per person and per address (``upload_refusal``), by the
bytes of a person's uploads not sent yet, and such uploads expire after
``CHAT_UPLOAD_UNSENT_HOURS`` (removed as the next upload is stored).
"""

import contextlib
import datetime
import functools
import io
import secrets
import threading
import unicodedata
import warnings

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from chat.identity import Identity
from chat.models import Attachment, Message, Room
from chat.ratelimit import RequestBuckets
from chat.services import ActionRefused
from server.websocket import malloc_trimmer

# Pillow's formats we show inline, and the format each is stored in.
IMAGE_FORMATS = {
    "PNG": ("image/png", "PNG"),
    "JPEG": ("image/jpeg", "JPEG"),
    "MPO": ("image/jpeg", "JPEG"),  # a phone's JPEG with more pictures after it: the first
    "GIF": ("image/gif", "GIF"),
    "WEBP": ("image/webp", "WEBP"),
}
THUMBNAIL_SIZE = (480, 480)
NAME_MAX_LENGTH = 150
# An animated GIF's frames are rebuilt one by one: at most this many.
GIF_FRAMES_MAX = 300
# How long an upload waits for a decoding slot before it is refused ``busy``.
DECODE_WAIT_SECONDS = 10.0
# The pieces of an image's info that are about its pixels, kept when it is stored again.
PIXEL_INFO = ("icc_profile", "transparency", "duration", "loop", "background")
# Expired unsent uploads removed as one upload is stored, at most.
EXPIRED_PER_UPLOAD = 100
# Uploads per minute from one address, as many times a person's.
UPLOADS_PER_ADDRESS = 4

# What Pillow raises for a file that isn't an image it can read whole.
IMAGE_ERRORS = (
    UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
    OSError, ValueError, SyntaxError, EOFError,
)  # fmt: skip

upload_buckets = RequestBuckets()  # per person and per address, in this process


@functools.cache
def _decoding_slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(settings.CHAT_IMAGE_DECODES_MAX)


def pixels_max() -> int:
    return settings.CHAT_IMAGE_PIXELS_MAX


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
    """(content type, the image from its pixels alone, its thumbnail) if ``data`` is an
    image we show, else None. Waits for a decoding slot; refused ``busy`` after a while."""
    with image_decoding():
        return _image_decoded(data)


@contextlib.contextmanager
def image_decoding():
    """Around decoding an image (an upload's, an avatar's): waits for one of the
    process's ``CHAT_IMAGE_DECODES_MAX`` slots (refused ``busy`` after
    ``DECODE_WAIT_SECONDS``), and hands the pixels' memory back afterwards."""
    if not _decoding_slots().acquire(timeout=DECODE_WAIT_SECONDS):
        raise ActionRefused(
            "busy",
            _("Too many images are being processed; try again in a moment."),
            retry_after=5,
        )
    try:
        yield
    finally:
        _decoding_slots().release()
        _memory_back()


def image_open(data: bytes) -> Image.Image | None:
    """``data`` opened as an image of one of ``IMAGE_FORMATS`` within the pixel cap
    (verified first), or None for anything else; call within ``image_decoding``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in IMAGE_FORMATS or probe.width * probe.height > pixels_max():
                    return None
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
            return image
    except IMAGE_ERRORS:
        return None


def _memory_back() -> None:
    """Hand the decoded pixels' memory back to the system, not keep it for later."""
    trim = _trimmer()
    if trim is not None:
        trim(0)


_trimmer = functools.cache(malloc_trimmer)


def _image_decoded(data: bytes) -> tuple[str, bytes, bytes] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if kind not in IMAGE_FORMATS or probe.width * probe.height > pixels_max():
                    return None
                probe.verify()
            content_type, stored_as = IMAGE_FORMATS[kind]
            with Image.open(io.BytesIO(data)) as image:
                if stored_as == "GIF":
                    rebuilt = _gif_rebuilt(image)
                    return None if rebuilt is None else (content_type, *rebuilt)
                image.load()
                ImageOps.exif_transpose(image, in_place=True)  # no second full-size copy
                clean = _encoded(image, stored_as)
                image.thumbnail(THUMBNAIL_SIZE)  # in place, too
                return content_type, clean, _encoded(image, "WEBP")
    except IMAGE_ERRORS:
        return None


def _gif_rebuilt(image: Image.Image) -> tuple[bytes, bytes] | None:
    """A GIF made again from its frames' pixels and timing (no comments, XMP or other
    extensions, nothing after its end), and its first frame's thumbnail."""
    frame_count = getattr(image, "n_frames", 1)
    if frame_count > GIF_FRAMES_MAX or frame_count * image.width * image.height > pixels_max():
        return None
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(frame.info.get("duration", 100))
        frames.append(frame.convert("RGBA"))
    out = io.BytesIO()
    first = frames[0]
    first.info = {}
    first.save(
        out,
        format="GIF",
        save_all=len(frames) > 1,
        append_images=frames[1:],
        duration=durations if len(frames) > 1 else durations[0],
        loop=image.info.get("loop", 0),
        disposal=2,
    )
    thumbnail = first.copy()
    thumbnail.thumbnail(THUMBNAIL_SIZE)
    return out.getvalue(), _encoded(thumbnail, "WEBP")


def _encoded(picture: Image.Image, kind: str) -> bytes:
    """``picture`` saved anew as ``kind``: only pixels (and their colour profile), no
    metadata."""
    picture.info = {key: picture.info[key] for key in PIXEL_INFO if key in picture.info}
    out = io.BytesIO()
    if kind == "JPEG" and picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    picture.save(out, format=kind, **({"quality": 90} if kind in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def upload_refusal(identity: Identity, address: str | None, size: int) -> ActionRefused | None:
    """Why ``identity`` (from ``address``) may not upload ``size`` more bytes now, or None."""
    if identity.is_guest and not settings.CHAT_GUEST_UPLOADS:
        return ActionRefused("guest_uploads_off", _("Sign in to attach files: guests can't here."))
    rate = settings.CHAT_UPLOADS_PER_MINUTE / 60
    burst = max(settings.CHAT_UPLOADS_PER_MINUTE // 2, 1)
    wait = upload_buckets.take(f"person:{identity.key}", rate, burst)
    if not wait and address:
        wait = upload_buckets.take(
            f"address:{address}", rate * UPLOADS_PER_ADDRESS, burst * UPLOADS_PER_ADDRESS
        )
    if wait:
        return ActionRefused(
            "rate_limited",
            format_lazy(
                _("At most {count} uploads a minute; try again in {seconds} s."),
                count=settings.CHAT_UPLOADS_PER_MINUTE,
                seconds=f"{wait:.0f}",
            ),  # fmt: skip
            retry_after=round(wait, 1),
        )
    quota = settings.CHAT_UPLOAD_UNSENT_MAX_MB * 1024 * 1024
    unsent = (
        _unsent(Attachment.objects.filter(sender_key=identity.key)).aggregate(total=Sum("size"))[
            "total"
        ]
        or 0
    )
    if unsent + size > quota:
        return ActionRefused(
            "unsent_uploads_too_large",
            format_lazy(
                _(
                    "Files you uploaded but haven't sent may take at most {size} MiB: send "
                    "them first, or wait for them to expire ({hours} h after upload)."
                ),
                size=settings.CHAT_UPLOAD_UNSENT_MAX_MB,
                hours=settings.CHAT_UPLOAD_UNSENT_HOURS,
            ),  # fmt: skip
        )
    return None


def _unsent(attachments):
    """Of ``attachments``, those not sent with a message and not expired yet."""
    return attachments.filter(message__isnull=True, created__gte=_unsent_since())


def _unsent_since() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=settings.CHAT_UPLOAD_UNSENT_HOURS)


def unsent_uploads_expire(limit: int = EXPIRED_PER_UPLOAD) -> int:
    """Remove up to ``limit`` uploads never sent, older than CHAT_UPLOAD_UNSENT_HOURS, and
    their files (once that is committed); returns how many."""
    expired = list(
        Attachment.objects.filter(message__isnull=True, created__lt=_unsent_since()).order_by("pk")[
            :limit
        ]
    )
    if expired:
        Attachment.objects.filter(pk__in=[a.pk for a in expired], message__isnull=True).delete()
        transaction.on_commit(lambda: _files_remove(expired))
    return len(expired)


def _files_remove(attachments: list[Attachment]) -> None:
    for attachment in attachments:
        attachment.file.delete(save=False)
        if attachment.thumbnail:
            attachment.thumbnail.delete(save=False)


def attachment_store(*, room: Room, identity: Identity, name: str, data: bytes) -> Attachment:
    """Keep an upload for the room; not yet part of any message."""
    if len(data) > upload_limit_bytes():
        raise ActionRefused(
            "file_too_large",
            format_lazy(_("A file may be at most {size} MiB."), size=settings.CHAT_UPLOAD_MAX_MB),
        )
    if not data:
        raise ActionRefused("empty_file", _("The file is empty."))
    unsent_uploads_expire()
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
    transaction.on_commit(lambda: _files_remove(attachments))
