"""Link previews: the first http(s) link of a new message gets a preview of its page
(title, description, site name and a thumbnail of its image), fetched after the
message is stored and broadcast, never before: a preview can't delay a message.

A process fetches at most ``FETCHES_AT_ONCE`` pages at a time and keeps at most
``PENDING_MAX`` waiting (more are skipped, not queued). Each URL's preview is kept
(``LinkPreview``) for ``KEPT_FOR``, or ``NONE_KEPT_FOR`` when it gave none, so a link
pasted in many rooms is fetched once. The preview is written into the message
(``Message.preview``, so history and replays carry it) and sent to the room as a
``preview`` event. ``CHAT_PREVIEWS`` turns it all off; what may be fetched is
``outbound``'s to decide.
"""

import asyncio
import hashlib
import html
import io
import logging
import re
from datetime import timedelta

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import ImageOps

from chat.identity import Identity
from chat.models import Message, Room
from chat.process import detach
from chat.protocol import events
from chat.services import ActionRefused
from chat.services.attachments import image_decoding, image_open
from chat.services.broadcast import event_broadcast, event_message, on_commit_send, room_address
from chat.services.rooms import archived_check
from outbound.fetch import FetchRefused, Outbound
from previews.models import LinkPreview
from previews.page import page_summary

logger = logging.getLogger(__name__)

PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
PAGE_MAX_BYTES = 1_000_000
IMAGE_MAX_BYTES = 5_000_000
FETCH_SECONDS = 5.0  # for the page and its image together
FETCHES_AT_ONCE = 4
PENDING_MAX = 100
KEPT_FOR = timedelta(hours=24)
NONE_KEPT_FOR = timedelta(hours=1)
IMAGE_SIZE = (400, 400)

# The first link of a message's HTML as chat.formatting makes it (attributes quoted,
# href first); mailto: and relative links are not previewed.
_LINK = re.compile(r'<a href="(https?://[^"]+)"')


def first_link(message_html: str) -> str | None:
    found = _LINK.search(message_html)
    return html.unescape(found.group(1)) if found else None


def _url_hash(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


class Previews:
    """A process's link previews on their way (process().previews)."""

    def __init__(self) -> None:
        self.outbound = Outbound()
        self.slots = asyncio.Semaphore(FETCHES_AT_ONCE)
        self.pending = 0

    def schedule(self, room_name: str, messages: list[Message]) -> None:
        """Preview the first link of each of these new messages, in the background."""
        if not settings.CHAT_PREVIEWS:
            return
        for message in messages:
            url = first_link(message.html) if 'href="http' in message.html else None
            if url is None:
                continue
            if self.pending >= PENDING_MAX:
                logger.warning(
                    "too many link previews waiting: %s#%d skipped", room_name, message.seq
                )
                continue
            self.pending += 1
            detach(self._preview(room_name, message.pk, message.seq, url))

    async def _preview(self, room_name: str, message_id: int, seq: int, url: str) -> None:
        try:
            async with self.slots:
                found = await self.preview_of(url)
            if found is None:
                return
            data, has_image = found
            shown = {
                **data,
                "image_url": reverse("preview_image", args=[message_id]) if has_image else None,
            }
            if await database_sync_to_async(_attach)(message_id, shown):
                await event_broadcast(room_name, events.preview_event(seq, shown))
        except Exception:
            logger.exception("link preview of %s#%d failed", room_name, seq)
        finally:
            self.pending -= 1

    async def preview_of(self, url: str) -> tuple[dict, bool] | None:
        """(what the page says, whether it has an image) for ``url``, kept or fetched
        now; None when it gives no preview."""
        kept = await database_sync_to_async(_kept)(url)
        if kept is not None:
            return kept if kept[0] is not None else None
        data, image = await self._fetch(url)
        await database_sync_to_async(_keep)(url, data, image)
        return None if data is None else (data, image is not None)

    async def _fetch(self, url: str) -> tuple[dict | None, bytes | None]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FETCH_SECONDS
        try:
            page = await self.outbound.get(
                url, types=PAGE_TYPES, max_bytes=PAGE_MAX_BYTES, seconds=FETCH_SECONDS
            )
        except FetchRefused as refused:
            logger.info("no link preview of %s: %s", _shown_in_logs(url), refused)
            return None, None
        summary = page_summary(page.body, page.charset, page.url)
        if summary is None:
            return None, None
        image = None
        if summary["image"] and (left := deadline - loop.time()) > 0:
            try:
                picture = await self.outbound.get(
                    summary["image"], types=IMAGE_TYPES, max_bytes=IMAGE_MAX_BYTES, seconds=left
                )
                image = await asyncio.to_thread(_thumbnail, picture.body)
            except (FetchRefused, ActionRefused) as refused:
                logger.info("no preview image for %s: %s", _shown_in_logs(url), refused)
        data = {key: summary[key] for key in ("title", "description", "site_name")}
        return {"url": url, **data}, image


def _shown_in_logs(url: str) -> str:
    """A URL without its query and fragment (where tokens go), as logs show it."""
    return url.split("?", 1)[0].split("#", 1)[0][:200]


def _thumbnail(data: bytes) -> bytes | None:
    """The image's pixels alone, at most ``IMAGE_SIZE``, as WebP (None: not an image
    we show). Waits for one of the process's decoding slots, as uploads do."""
    with image_decoding():
        image = image_open(data)
        if image is None:
            return None
        with image:
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail(IMAGE_SIZE)
            if picture.mode not in ("RGB", "RGBA"):
                picture = picture.convert("RGBA")
            picture.info = {}
            out = io.BytesIO()
            picture.save(out, format="WEBP", quality=85)
            return out.getvalue()


def _kept(url: str) -> tuple[dict | None, bool] | None:
    row = LinkPreview.objects.filter(url_hash=_url_hash(url)).first()
    if row is None:
        return None
    kept_for = KEPT_FOR if row.data is not None else NONE_KEPT_FOR
    if row.fetched_at < timezone.now() - kept_for:
        return None
    return row.data, bool(row.image)


def _keep(url: str, data: dict | None, image: bytes | None) -> None:
    row, _ = LinkPreview.objects.get_or_create(url_hash=_url_hash(url), defaults={"url": url})
    old = row.image.name if row.image else None
    row.data, row.fetched_at = data, timezone.now()
    if image is not None:
        row.image.save("preview.webp", ContentFile(image), save=False)
    else:
        row.image = ""
    row.save()
    if old and old != row.image.name:
        row.image.storage.delete(old)


def _attach(message_id: int, shown: dict) -> bool:
    """Write the preview into the message, unless it is deleted or its author removed
    a preview already (``{}``)."""
    return bool(
        Message.objects.filter(pk=message_id, preview__isnull=True, deleted_at__isnull=True).update(
            preview=shown
        )
    )


def preview_image(message_id: int):
    """The image file of the message's preview, or None."""
    message = (
        Message.objects.filter(pk=message_id, deleted_at__isnull=True).values("preview").first()
    )
    if not message or not message["preview"] or not message["preview"].get("image_url"):
        return None
    row = LinkPreview.objects.filter(url_hash=_url_hash(message["preview"]["url"])).first()
    return row.image if row is not None and row.image else None


def preview_remove(*, room: Room, seq: int, identity: Identity) -> None:
    """Take the preview off message ``seq`` (its author, or staff) for good; pages open in
    the room get a ``preview`` event without one. Raises ActionRefused
    ``unknown_message``, ``forbidden``, ``room_archived``."""
    archived_check(room)
    message = Message.objects.filter(room=room, seq=seq, deleted_at__isnull=True).first()
    if message is None:
        raise ActionRefused(
            "unknown_message", format_lazy(_("There is no message {seq} in this room."), seq=seq)
        )
    if message.sender_key != identity.key and not identity.is_staff:
        raise ActionRefused("forbidden", _("Only its author can remove a message's preview."))
    Message.objects.filter(pk=message.pk).update(preview={})
    on_commit_send(room_address(room.name), event_message(events.preview_event(seq, None)))
