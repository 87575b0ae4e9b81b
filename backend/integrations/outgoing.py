"""Rooms' outgoing webhooks: each event of a room POSTed to a URL, at least once, in order.

Queueing: an event is written to ``OutgoingEvent`` in the transaction that makes it
(the post, the edit, the deletion, the reaction), so it is queued exactly when it
happened and survives any restart. Posts learn whether their room has active webhooks
from the statement that takes their seqs (``Room.outgoing_webhooks_active``), so a room
without any pays nothing. Within a room, events are queued under a lock held until
commit (the room's row for posts, an advisory lock on PostgreSQL for the others), so a
queue's ids follow the order events were committed in.

Delivering (``Deliveries``, one per server process): a webhook is delivered to by one
process at a time (a lease on its row), its queue's head first; the next event waits
until the head is answered 2xx. A failure (no answer within ``TIMEOUT`` s, a refused
connection, any other status) is tried again after ``CHAT_OUTGOING_RETRY_SECONDS``,
doubling up to an hour; once the head has failed for ``GIVE_UP``, the webhook is marked
failing, its queue is dropped and its owner is e-mailed (a tool catches up with
``GET /api/rooms/<name>/events/?after=``; resuming queues new events again).
"""

import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chat.identity import Identity, InvalidDisplayName, display_name_clean
from chat.models import Attachment, Membership, Message, Reaction, Room
from chat.protocol import events as frames
from chat.services import ActionRefused
from integrations.models import OutgoingEvent, OutgoingWebhook
from organization.models import GuestAccount
from outbound.addresses import address_is_local, host_allowed
from people.languages import profile_language

logger = logging.getLogger(__name__)

DEFAULT_NAME = "outgoing"
TIMEOUT = 7.0  # seconds a receiver has to answer
GIVE_UP = timedelta(hours=24)
RETRY_MAX = 3600.0  # seconds between tries, at most
LEASE = timedelta(seconds=20)  # a delivering process renews it before each POST
BATCH = 20  # events read from a queue at once
ANSWER_MAX_BYTES = 64 * 1024
USER_AGENT = "ChatWebhook/1.0"
ADVISORY_CLASS = 0x0C4A  # the first key of the advisory locks that order rooms' queues
NOT_A_BOOL = _("“mentions_only” must be true or false.")
REPLY_KEY = "outhook:"  # the sender key of outgoing webhooks' replies, before the id


# Queueing, in the transaction of the event ----------------------------------------------


def outgoing_messages_queue(messages: list[Message]) -> None:
    """Queue ``message`` events of new messages (in rooms with active webhooks), in the
    transaction that stores them, after their rooms' rows were locked."""
    people = [m for m in messages if not m.system]
    if people:
        _queue([("message", m, None) for m in people], {m.room_id for m in people})


def outgoing_event_queue(message: Message, kind: str, extra: dict | None = None) -> None:
    """Queue an ``edit``, ``delete`` or ``reaction`` event of ``message`` if its room has
    active webhooks; call it inside the transaction that makes the change."""
    if message.room.outgoing_webhooks_active:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                               [ADVISORY_CLASS, message.room_id])  # fmt: skip
        # The message as it is now, with its reactions and attachments.
        message.reaction_rows = list(Reaction.objects.filter(message=message))
        message.attachment_rows = list(Attachment.objects.filter(message=message))
        _queue([(kind, message, extra)], {message.room_id})


def _queue(items: list[tuple[str, Message, dict | None]], room_ids: set[int]) -> None:
    hooks = list(
        OutgoingWebhook.objects.filter(room_id__in=room_ids, failing_since__isnull=True)
        .filter(makers_may_read())
        .select_related("room")
        .order_by("pk")
    )
    if connection.vendor == "postgresql" and any(kind == "message" for kind, _, _ in items):
        with connection.cursor() as cursor:  # others' edits wait until this commits
            for room_id in sorted(room_ids):
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_CLASS, room_id])
    rows = []
    for hook in hooks:
        for kind, message, extra in items:
            if message.room_id == hook.room_id and _wanted(hook, kind, message):
                body = event_body(hook.room.name, kind, message, extra)
                rows.append(OutgoingEvent(webhook=hook, type=kind, seq=message.seq, body=body))
    if rows:
        OutgoingEvent.objects.bulk_create(rows)


def _wanted(hook: OutgoingWebhook, kind: str, message: Message) -> bool:
    if kind not in hook.events or message.sender_key.startswith(REPLY_KEY):
        return False  # not told about webhooks' replies: two could answer each other forever
    return not hook.mentions_only or mentions_hook(hook.name, message.body or "")


def mentions_hook(name: str, text: str) -> bool:
    """Whether ``text`` @mentions ``name`` (a webhook's), whatever the case."""
    pattern = rf"(?<![\w@])@{re.escape(name)}(?![\w-])"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def event_json(room: str, kind: str, message: Message, extra: dict | None = None) -> dict:
    """An event as tools get it: ``room``, ``seq``, ``type``, the ``message`` object as
    the API shows it (its state once the event happened), and for a reaction the
    ``reaction`` given or taken back."""
    shown = dict(frames.message_event(message))
    del shown["type"]
    event = {"room": room, "seq": message.seq, "type": kind, "message": shown}
    return event | extra if extra else event


def event_body(room: str, kind: str, message: Message, extra: dict | None = None) -> str:
    """The JSON POSTed for an event (``event_json``), exactly as it is signed."""
    event = event_json(room, kind, message, extra)
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def event_signature(secret: str, body: bytes) -> str:
    """The ``X-Chat-Signature`` header of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def makers_may_read() -> Q:
    """Webhooks whose maker may read their room now: an active account that is a member,
    or (a public room) any account but a guest account. Access goes with the maker, as
    for incoming webhooks: one who leaves the room or is deactivated stops theirs."""
    member = Exists(Membership.objects.filter(room=OuterRef("room"), user=OuterRef("created_by")))
    guest = Exists(GuestAccount.objects.filter(user=OuterRef("created_by")))
    return Q(created_by__is_active=True) & (member | (Q(room__kind=Room.Kind.PUBLIC) & ~guest))


def hook_identity(hook_id: int, name: str) -> Identity:
    """Who an outgoing webhook's replies are from: a bot of its name, allowed in its room."""
    return Identity(f"{REPLY_KEY}{hook_id}", name, False, is_bot=True, is_webhook=True)


# Made, changed and removed by a room's members (api.outgoing_webhooks) -----------------


def url_check(url: str) -> str:
    """``url`` if the server may POST to it (http or https, a host whose addresses aren't
    local unless listed in CHAT_OUTBOUND_ALLOW_HOSTS); raises ActionRefused
    ``invalid_url`` saying why. Each delivery checks the address it connects to again."""
    url = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ActionRefused("invalid_url", _("This is not a URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActionRefused("invalid_url", _("The URL must start with http:// or https://."))
    if len(url) > OutgoingWebhook._meta.get_field("url").max_length:
        raise ActionRefused("invalid_url", _("The URL is longer than 2,000 characters."))
    if host_allowed(parts.hostname, port):
        return url
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ActionRefused(
            "invalid_url", format_lazy(_("{host} can't be found."), host=parts.hostname)
        ) from None
    if any(address_is_local(ip_address(info[4][0].split("%")[0])) for info in found):
        raise ActionRefused(
            "invalid_url",
            format_lazy(
                _(
                    "{host} is on this server's own network; an administrator can allow it "
                    "with CHAT_OUTBOUND_ALLOW_HOSTS."
                ),
                host=parts.hostname,
            ),
        )
    return url


def events_check(events) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise ActionRefused(
            "invalid_events",
            format_lazy(
                _("“events” must be a list of: {known}"), known=", ".join(OutgoingWebhook.EVENTS)
            ),
        )
    unknown = sorted(set(events) - set(OutgoingWebhook.EVENTS))
    if unknown:
        raise ActionRefused(
            "invalid_events",
            format_lazy(
                _("Unknown events: {unknown}; known: {known}."),
                unknown=", ".join(unknown),
                known=", ".join(OutgoingWebhook.EVENTS),
            ),
        )
    return [e for e in OutgoingWebhook.EVENTS if e in events]


def name_check(name: str) -> str:
    try:
        return display_name_clean(name or DEFAULT_NAME)
    except InvalidDisplayName as exc:
        raise ActionRefused("invalid_name", str(exc)) from None


def outgoing_create(
    *, room: Room, by, url: str, events: list[str], mentions_only: bool = False, name: str = ""
) -> OutgoingWebhook:
    name, events = name_check(name), events_check(events)  # before the URL is looked up
    if not isinstance(mentions_only, bool):
        raise ActionRefused("invalid_mentions_only", NOT_A_BOOL)
    hook = OutgoingWebhook(
        room=room, name=name, url=url_check(url), events=events, mentions_only=mentions_only,
        secret=secrets.token_urlsafe(32), created_by=by,
    )  # fmt: skip
    with transaction.atomic():
        hook.save()
        _active_count(room.pk)
    return hook


def outgoing_change(hook: OutgoingWebhook, changes: dict) -> OutgoingWebhook:
    """Rename it, point it elsewhere, change what it is told, or (``active: true``) resume
    it after it failed."""
    fields = []
    if "name" in changes:
        hook.name = name_check(changes["name"])
        fields.append("name")
    if "events" in changes:
        hook.events = events_check(changes["events"])
        fields.append("events")
    if "mentions_only" in changes:
        if not isinstance(changes["mentions_only"], bool):
            raise ActionRefused("invalid_mentions_only", NOT_A_BOOL)
        hook.mentions_only = changes["mentions_only"]
        fields.append("mentions_only")
    if "url" in changes:
        hook.url = url_check(changes["url"])
        fields.append("url")
    if changes.get("active") is True:
        hook.failing_since = hook.failed_first_at = hook.next_attempt_at = None
        hook.attempts = 0
        hook.last_error = ""
        fields += ["failing_since", "failed_first_at", "next_attempt_at", "attempts", "last_error"]
    with transaction.atomic():
        # Only what changed: a delivery may be updating the rest of the row meanwhile.
        hook.save(update_fields=fields)
        _active_count(hook.room_id)
    return hook


def outgoing_delete(hook: OutgoingWebhook) -> None:
    with transaction.atomic():
        hook.delete()
        _active_count(hook.room_id)


def _active_count(room_id: int) -> None:
    active = OutgoingWebhook.objects.filter(room_id=room_id, failing_since__isnull=True).count()
    Room.objects.filter(pk=room_id).update(outgoing_webhooks_active=min(active, 32767))


def pending_counts(hooks: list[OutgoingWebhook]) -> dict[int, int]:
    rows = (
        OutgoingEvent.objects.filter(webhook__in=hooks)
        .values("webhook_id")
        .annotate(n=Count("id"))
        .values_list("webhook_id", "n")
    )
    return dict(rows)


# Delivering ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Due:
    """A webhook this process holds the lease of (``token`` names the lease), as it was
    then."""

    id: int
    room: str
    url: str
    secret: str
    name: str
    token: str


def hooks_due(now: datetime) -> list[Due]:
    """Take the lease of each active webhook with events waiting whose next try is due
    and that no process delivers to now."""
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    waiting = Exists(OutgoingEvent.objects.filter(webhook=OuterRef("pk")))
    found = list(
        OutgoingWebhook.objects.filter(free, due, failing_since__isnull=True)
        .filter(waiting)
        .select_related("room")
        .order_by("pk")[:100]
    )
    taken = []
    for hook in found:
        token = secrets.token_hex(8)
        # One UPDATE per webhook: another process may have taken it meanwhile.
        if (
            OutgoingWebhook.objects.filter(pk=hook.pk)
            .filter(free)
            .update(lease_until=now + LEASE, lease_token=token)
        ):
            taken.append(Due(hook.pk, hook.room.name, hook.url, hook.secret, hook.name, token))
    return taken


def lease_renew(hook_id: int, token: str, now: datetime) -> bool:
    """Hold the lease ``LEASE`` longer, before each POST; False once it was lost (another
    process delivers now), the webhook paused, or its maker may no longer read the room
    (its waiting events are dropped then: they would go to someone who can't read them)."""
    mine = OutgoingWebhook.objects.filter(pk=hook_id, lease_token=token)
    if (
        mine.filter(failing_since__isnull=True)
        .filter(makers_may_read())
        .update(lease_until=now + LEASE)
    ):
        return True
    if mine.filter(failing_since__isnull=True).exists():
        OutgoingEvent.objects.filter(webhook_id=hook_id).delete()
    return False


def queue_head(hook_id: int) -> list[OutgoingEvent]:
    """The next events of a webhook, oldest first."""
    return list(OutgoingEvent.objects.filter(webhook_id=hook_id).order_by("pk")[:BATCH])


def delivered(hook_id: int, event_id: int) -> None:
    """The event was answered 2xx: off the queue, and the webhook's retries start over."""
    with transaction.atomic():
        OutgoingEvent.objects.filter(pk=event_id).delete()
        OutgoingWebhook.objects.filter(pk=hook_id).exclude(attempts=0).update(
            attempts=0, failed_first_at=None, next_attempt_at=None, last_error=""
        )


def delivery_failed(hook_id: int, token: str, error: str, now: datetime) -> bool:
    """Count a failed try of the head event and set when to try again; past ``GIVE_UP``
    mark the webhook failing (queue dropped, owner told). Returns whether it gave up."""
    hook = OutgoingWebhook.objects.select_related("room", "created_by").filter(pk=hook_id).first()
    if hook is None or hook.lease_token != token:
        return False  # gone, or another process delivers to it now
    attempts = hook.attempts + 1
    failed_first_at = hook.failed_first_at or now
    gave_up = now - failed_first_at >= GIVE_UP
    delay = min(settings.CHAT_OUTGOING_RETRY_SECONDS * 2 ** (attempts - 1), RETRY_MAX)
    changes = {
        "attempts": attempts, "failed_first_at": failed_first_at, "last_error": error[:200],
        "lease_until": None, "lease_token": "",
        "next_attempt_at": None if gave_up else now + timedelta(seconds=delay),
    }  # fmt: skip
    if gave_up:
        changes["failing_since"] = now
    with transaction.atomic():
        # Only these fields: an owner's change (a new URL, a resume) may be saved meanwhile.
        OutgoingWebhook.objects.filter(pk=hook_id, lease_token=token).update(**changes)
        if gave_up:
            OutgoingEvent.objects.filter(webhook_id=hook_id).delete()
            _active_count(hook.room_id)
    if gave_up:
        hook.last_error = changes["last_error"]
        _owner_tell(hook)
    return gave_up


def lease_release(hook_id: int, token: str) -> None:
    OutgoingWebhook.objects.filter(pk=hook_id, lease_token=token).update(
        lease_until=None, lease_token=""
    )


def _owner_tell(hook: OutgoingWebhook) -> None:
    owner = hook.created_by
    logger.warning("outgoing webhook %s of %s is failing: %s", hook.pk, hook.room, hook.last_error)
    if owner is None or not owner.email:
        return
    try:
        with translation.override(profile_language(owner) or settings.LANGUAGE_CODE):
            subject = gettext("Your webhook “{name}” in {room} is failing")
            body = gettext(
                "Nothing sent to {url} has been accepted for 24 hours (last error: {error})."
                "\n\nIt is paused and events are no longer queued for it. Once the receiver "
                "works again, resume it from the room's Integrations; "
                "GET /api/rooms/<name>/events/?after=<seq> catches up on what it missed."
            )
        send_mail(
            subject.format(name=hook.name, room=hook.room.name),
            body.format(url=hook.url, error=hook.last_error),
            None,
            [owner.email],
        )
    except Exception as exc:  # noqa: BLE001 (SMTP and socket errors alike)
        logger.warning("could not e-mail the owner of webhook %s: %s", hook.pk, exc)


class Deliveries:
    """A server process's deliveries: every ``poll`` seconds, the
    webhooks due are leased and each has one task POSTing its queue in order.

    ``database`` runs a function of this module off the event loop (the process's chores
    thread); ``post`` sends one event (outbound.fetch.Outbound.post); ``reply`` posts a
    receiver's ``{"text"}`` answer to the room as the webhook; ``now`` is the clock."""

    def __init__(self, *, database, post, reply, now=timezone.now, poll: float = 1.0) -> None:
        self.database, self.post, self.reply, self.now = database, post, reply, now
        self.poll = poll
        self.running: dict[int, asyncio.Task] = {}

    async def run(self) -> None:
        while True:
            try:
                await self.round()
            except Exception:
                logger.exception("outgoing webhooks: a round failed")
            await asyncio.sleep(self.poll)

    async def round(self) -> None:
        for due in await self.database(hooks_due, self.now()):
            if due.id not in self.running:
                task = asyncio.create_task(self.deliver(due))
                self.running[due.id] = task
                task.add_done_callback(lambda _, key=due.id: self.running.pop(key, None))

    async def deliver(self, due: Due) -> None:
        """POST the webhook's queue in order until it is empty, an event fails, or the
        lease is lost (renewed before each POST)."""
        try:
            while events := await self.database(queue_head, due.id):
                for event in events:
                    if not await self.database(lease_renew, due.id, due.token, self.now()):
                        return
                    if not await self.send(due, event):
                        return
        finally:
            await self.database(lease_release, due.id, due.token)

    async def send(self, due: Due, event: OutgoingEvent) -> bool:
        """POST one event; True once it was accepted (and taken off the queue)."""
        body = event.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Chat-Signature": event_signature(due.secret, body),
            "X-Chat-Delivery": str(event.pk),
            "X-Chat-Event": event.type,
        }
        try:
            answer = await self.post(
                due.url, body=body, headers=headers, seconds=TIMEOUT, max_bytes=ANSWER_MAX_BYTES
            )
        except Exception as exc:  # noqa: BLE001 (refused, timed out, unreachable)
            await self.database(delivery_failed, due.id, due.token, str(exc), self.now())
            return False
        if not 200 <= answer.status < 300:
            error = f"answered {answer.status}"
            await self.database(delivery_failed, due.id, due.token, error, self.now())
            return False
        await self.database(delivered, due.id, event.pk)
        if (text := reply_text(answer)) and event.type == "message":
            await self.reply(due, text, json.loads(event.body))
        return True


def reply_text(answer) -> str:
    """The ``text`` of a receiver's 2xx JSON answer, if it has one."""
    if answer.content_type != "application/json" or not answer.body:
        return ""
    try:
        data = json.loads(answer.body)
    except ValueError:
        return ""
    text = data.get("text") if isinstance(data, dict) else None
    return text.strip() if isinstance(text, str) else ""


async def reply_post(due: Due, text: str, event: dict) -> None:
    """A receiver's answer, posted to the room as the webhook (in the thread of the
    message it answers, if that was a reply in a thread)."""
    from chat.services.messages import messages_post
    from chat.services.storing import Post

    identity = hook_identity(due.id, due.name)
    text = text[: settings.CHAT_MESSAGE_MAX_LENGTH]
    post = Post(identity, text, may_create=False, thread=event["message"].get("thread"))
    try:
        [outcome] = await messages_post(room_name=due.room, posts=[post])
    except Exception as exc:  # noqa: BLE001 (the database or Redis away)
        outcome = exc
    if isinstance(outcome, Exception):
        logger.warning("outgoing webhook %s: its reply was not posted: %s", due.id, outcome)


def process_deliveries() -> Deliveries:
    """A server process's ``Deliveries`` (chat.process.Process.deliveries): its database
    work in the process's chores thread, its POSTs from the process's outbound client."""
    from channels.db import database_sync_to_async

    from chat.process import process
    from outbound.fetch import Outbound

    def database(function, *args):
        return database_sync_to_async(function, thread_sensitive=False, executor=process().chores)(
            *args
        )

    return Deliveries(
        database=database, post=Outbound().post, reply=reply_post,
        poll=settings.CHAT_OUTGOING_POLL_SECONDS,
    )  # fmt: skip
