"""Avatars: a picture a person uploads, stored again as square WebP at two sizes without
metadata, or else their initials drawn on a colour derived from them.

An upload goes through the attachments' image checks (types, pixel cap, decompression
bombs, a bounded number decoded at once); only its pixels are kept.
"""

import hashlib
import io
import secrets
import unicodedata
from xml.sax.saxutils import escape

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import ImageOps

from chat.services import ActionRefused
from chat.services.attachments import image_decoding, image_open
from people.profiles import profile_announce, profile_get

SIZES = (256, 64)
AVATAR_MAX_BYTES = 5 * 1024 * 1024
TYPES = "PNG, JPEG, WebP or GIF"
# Initials avatars' backgrounds: dark enough for white letters (WCAG AA at this size).
COLOURS = ("#1f6feb", "#8250df", "#bf3989", "#cf222e", "#bc4c00", "#1a7f37",
           "#0a6c74", "#6639ba", "#9a6700", "#57606a")  # fmt: skip


def avatar_url(user, profile, size: int = 256) -> str:
    """Where the person's picture (or initials) is shown from; a new picture, a new URL."""
    url = reverse("avatar", args=[user.username, size])
    return f"{url}?v={profile.avatar}" if profile.avatar else url


def avatar_path(key: str, size: int) -> str:
    return f"avatars/{key}-{size}.webp"


def _squares(data: bytes) -> list[bytes]:
    """The image cropped to a centred square, as WebP at each of ``SIZES``."""
    with image_decoding():
        image = image_open(data)
        if image is None:
            raise ActionRefused(
                "invalid_avatar",
                format_lazy(
                    _("An avatar must be a {types} image of at most the pixel limit."), types=TYPES
                ),
            )
        with image:
            image = ImageOps.exif_transpose(image)
            picture = ImageOps.fit(image.convert("RGBA"), (SIZES[0], SIZES[0]))
        out = []
        for size in SIZES:
            square = picture if size == SIZES[0] else picture.resize((size, size))
            square.info = {}
            buffer = io.BytesIO()
            square.save(buffer, format="WEBP", quality=85)
            out.append(buffer.getvalue())
        return out


def avatar_set(user, data: bytes) -> str:
    """Store ``data`` as the person's avatar (replacing any); returns its key."""
    if len(data) > AVATAR_MAX_BYTES:
        raise ActionRefused(
            "file_too_large",
            format_lazy(_("An avatar can be at most {size} MB."), size=AVATAR_MAX_BYTES // 2**20),
        )
    squares = _squares(data)
    key = secrets.token_hex(8)
    for size, content in zip(SIZES, squares, strict=True):
        default_storage.save(avatar_path(key, size), ContentFile(content))
    profile = profile_get(user)
    old = profile.avatar
    profile.avatar = key
    with transaction.atomic():
        profile.save()
        profile_announce(user, profile)
    _files_remove(old)
    return key


def avatar_remove(user) -> bool:
    """Remove the person's avatar; False if they had none."""
    profile = profile_get(user)
    if not profile.avatar:
        return False
    old, profile.avatar = profile.avatar, ""
    with transaction.atomic():
        profile.save()
        profile_announce(user, profile)
    _files_remove(old)
    return True


def _files_remove(key: str) -> None:
    if key:
        for size in SIZES:
            default_storage.delete(avatar_path(key, size))


def initials(name: str) -> str:
    """Up to two letters: the first of the first and last words (of any script)."""
    words = [w for w in unicodedata.normalize("NFC", name).replace("_", " ").split() if w]
    letters = [w[0] for w in words if w[0].isalnum()]
    if not letters:
        letters = [c for c in name if c.isalnum()][:1] or ["?"]
    picked = letters[0] + (letters[-1] if len(letters) > 1 else "")
    return picked.upper()


def colour_of(username: str) -> str:
    """A colour that stays the person's whatever their display name."""
    digest = hashlib.sha256(username.encode("utf-8")).digest()
    return COLOURS[digest[0] % len(COLOURS)]


def initials_svg(*, username: str, display_name: str) -> str:
    """An SVG of the person's initials on their colour (the letters escaped as text)."""
    letters = escape(initials(display_name or username))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        f'<rect width="64" height="64" rx="32" fill="{colour_of(username)}"/>'
        '<text x="32" y="32" dy=".35em" text-anchor="middle" fill="#fff" '
        'font-family="system-ui, sans-serif" font-size="26" font-weight="600">'
        f"{letters}</text></svg>"
    )
