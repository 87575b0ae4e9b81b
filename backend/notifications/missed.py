"""E-mail for what people missed: one message per person per sweep, gathering every
notification due to them (chat.services.activity's rule: their level for each room,
never in Do Not Disturb) that they haven't read ``CHAT_EMAIL_NOTIFY_DELAY`` seconds
after it was sent, while they have no tab open in any of their rooms.

Reading in time cancels it (only messages after the read mark count), and a message
is e-mailed once (``Membership.emailed_seq``, claimed before sending, so two
processes sweeping at once send it once). People turn it off in their profile, or with
the one-click unsubscribe link every such e-mail carries (List-Unsubscribe).
"""

import dataclasses
import datetime
import logging
from urllib.parse import urljoin

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import Exists, F, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from chat.formatting import html_text
from chat.models import Membership, Mention, Message, Room
from chat.process import process
from chat.redis_client import redis_client
from chat.selectors import people_room_names
from chat.services.broadcast import LAYER_ERRORS
from chat.services.presence.store import room_keys
from organization.mail import MAIL_ERRORS
from people.languages import profile_language

logger = logging.getLogger(__name__)

# Older unread messages aren't e-mailed (a first sweep after turning this on, or after a
# long outage, doesn't send a month of history).
HORIZON = datetime.timedelta(days=3)
MESSAGES_PER_ROOM = 20  # in one e-mail; "and N more" for the rest
MEMBERSHIPS_PER_SWEEP = 500
UNSUBSCRIBE_SALT = "notifications.missed.unsubscribe"
SNIPPET_LENGTH = 500


@dataclasses.dataclass
class Missed:
    """What one person missed in one room."""

    membership: Membership
    messages: list[Message]
    more: int = 0


def _eligible(now: datetime.datetime) -> Q:
    """Memberships of people who get such e-mail now."""
    return (
        Q(user__is_active=True)
        & ~Q(user__email="")
        & ~Q(user__profile__email_notify=False)
        & ~Q(user__profile__dnd_until__gt=now)
        & ~Q(level=Membership.Level.NOTHING)
    )


def missed_find(now: datetime.datetime | None = None) -> dict[int, list[Missed]]:
    """Everyone's missed notifications, by user id: mentions of them, and every
    message of a room whose level is ``all`` (a DM's by default), sent between
    ``HORIZON`` and ``CHAT_EMAIL_NOTIFY_DELAY`` ago, after their read mark and after what
    was e-mailed already. At most ``MEMBERSHIPS_PER_SWEEP`` rooms' worth (the rest
    goes at the next sweep).

    Cheap when nothing is due: memberships at ``all`` are compared with their room's
    last seq (no message read), and mentions are read from the mentions in the window,
    never per membership."""
    now = now or timezone.now()
    due_before = now - datetime.timedelta(seconds=settings.CHAT_EMAIL_NOTIFY_DELAY)
    fresh = Q(created__lte=due_before, created__gte=now - HORIZON, deleted_at__isnull=True)
    every = Q(level=Membership.Level.ALL) | Q(level="", room__kind=Room.Kind.DM)
    behind = Q(room__last_seq__gt=F("last_read_seq")) & Q(room__last_seq__gt=F("emailed_seq"))
    candidates = list(
        Membership.objects.filter(_eligible(now), every, behind)
        .select_related("room", "user")
        .order_by("user_id", "room_id")[:MEMBERSHIPS_PER_SWEEP]
    )
    unread_mark = Membership.objects.filter(
        room=OuterRef("room"), user=OuterRef("user"),
        last_read_seq__lt=OuterRef("seq"), emailed_seq__lt=OuterRef("seq"),
    )  # fmt: skip
    pairs = set(
        Mention.objects.filter(
            Exists(unread_mark),
            message__created__lte=due_before,
            message__created__gte=now - HORIZON,
            message__deleted_at__isnull=True,
        ).values_list("room_id", "user_id")[: MEMBERSHIPS_PER_SWEEP * MESSAGES_PER_ROOM]
    )
    taken = {(m.room_id, m.user_id) for m in candidates}
    wanted = pairs - taken
    if wanted:
        candidates += [
            m
            for m in Membership.objects.filter(_eligible(now))
            .filter(room_id__in={r for r, _ in wanted}, user_id__in={u for _, u in wanted})
            .select_related("room", "user")
            if (m.room_id, m.user_id) in wanted
        ]
    found: dict[int, list[Missed]] = {}
    for membership in candidates[:MEMBERSHIPS_PER_SWEEP]:
        since = max(membership.last_read_seq, membership.emailed_seq)
        rows = (
            Message.objects.filter(fresh, room=membership.room, seq__gt=since)
            .exclude(author=membership.user)
            .order_by("seq")
        )
        everything = membership.level == Membership.Level.ALL or (
            membership.level == "" and membership.room.kind == Room.Kind.DM
        )
        if not everything:
            mentions = Mention.objects.filter(room=membership.room, user=membership.user)
            rows = rows.filter(seq__in=mentions.filter(seq__gt=since).values("seq"))
        messages = list(rows[: MESSAGES_PER_ROOM + 1])
        if not messages:
            if everything:
                _passed(membership, due_before)
            continue
        more = rows.count() - MESSAGES_PER_ROOM if len(messages) > MESSAGES_PER_ROOM else 0
        found.setdefault(membership.user_id, []).append(
            Missed(membership, messages[:MESSAGES_PER_ROOM], more)
        )
    return found


def _passed(membership: Membership, due_before: datetime.datetime) -> None:
    """Nothing to e-mail in a room at ``all`` though it is ahead of the marks (the
    person's own messages, deleted or older ones): what is due there is looked at, so
    it stops being a candidate until something new is due."""
    last = (
        Message.objects.filter(room=membership.room, created__lte=due_before)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    if last is not None:
        Membership.objects.filter(pk=membership.pk, emailed_seq__lt=last).update(emailed_seq=last)


def _claim(missed: list[Missed]) -> list[Missed]:
    """Mark what this e-mail covers as e-mailed; what another process claimed first
    is left out."""
    claimed = []
    for item in missed:
        last = item.messages[-1].seq
        done = Membership.objects.filter(
            pk=item.membership.pk, emailed_seq=item.membership.emailed_seq
        ).update(emailed_seq=last)
        if done:
            claimed.append(item)
    return claimed


def _unclaim(missed: list[Missed]) -> None:
    """The e-mail could not be sent: let the next sweep try again."""
    for item in missed:
        Membership.objects.filter(pk=item.membership.pk, emailed_seq=item.messages[-1].seq).update(
            emailed_seq=item.membership.emailed_seq
        )


def mail_configured() -> bool:
    """Whether the chat can send e-mail: an SMTP server is named (``EMAIL_HOST``), or
    mail goes elsewhere than SMTP (the console in development). Without, nothing is
    swept."""
    smtp = settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    return bool(settings.EMAIL_HOST) or not smtp


def unsubscribe_token(user) -> str:
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)


def unsubscribe_user(token: str):
    """The person an unsubscribe link is for, or None for a link that isn't one."""
    try:
        user_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return get_user_model().objects.filter(pk=user_id).first()


def site_url(path: str) -> str:
    return urljoin(settings.CHAT_SITE_URL, path)


def _mail(user, missed: list[Missed]) -> EmailMultiAlternatives:
    """The e-mail of what ``user`` missed, in their profile's language (else
    LANGUAGE_CODE: no browser to ask)."""
    with translation.override(profile_language(user) or settings.LANGUAGE_CODE):
        return _mail_written(user, missed)


def _mail_written(user, missed: list[Missed]) -> EmailMultiAlternatives:
    rooms = []
    for item in missed:
        room = item.membership.room
        title = room.name
        if room.kind == Room.Kind.DM:
            first = item.messages[0]
            title = gettext("a direct message from {name}").format(
                name=first.author_display or first.author_name
            )
        rooms.append({
            "title": title,
            "url": site_url(reverse("chat:room", args=[room.name])),
            "messages": [
                {
                    "author": m.author_display or m.author_name,
                    "text": _snippet(html_text(m.html) if m.html else m.body),
                    "url": site_url(reverse("chat:room", args=[room.name])) + f"#seq-{m.seq}",
                    "sent": m.created,
                }
                for m in item.messages
            ],
            "more": item.more,
        })  # fmt: skip
    count = sum(len(room["messages"]) + room["more"] for room in rooms)
    unsubscribe = site_url(reverse("notifications:unsubscribe", args=[unsubscribe_token(user)]))
    context = {
        "rooms": rooms,
        "count": count,
        "unsubscribe_url": unsubscribe,
        "settings_url": site_url(reverse("profile")),
        "name": user.username,
    }
    if len(rooms) == 1:
        subject = ngettext(
            "You missed {count} message in {room}", "You missed {count} messages in {room}", count
        ).format(count=count, room=rooms[0]["title"])
    else:
        subject = ngettext(
            "You missed {count} messages in {rooms} conversations",
            "You missed {count} messages in {rooms} conversations",
            len(rooms),
        ).format(count=count, rooms=len(rooms))
    mail = EmailMultiAlternatives(
        subject,
        render_to_string("notifications/missed_email.txt", context),
        None,
        [user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    mail.attach_alternative(
        render_to_string("notifications/missed_email.html", context), "text/html"
    )
    return mail


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1] + "…"


def missed_mail_send(user, missed: list[Missed]) -> bool:
    """Send one person their e-mail (what no other process claimed first); False if
    there was nothing left to send or the mail server refused (tried again next time)."""
    claimed = _claim(missed)
    if not claimed:
        return False
    try:
        _mail(user, claimed).send()
    except MAIL_ERRORS as exc:
        logger.warning("could not e-mail missed notifications to user %s: %s", user.pk, exc)
        _unclaim(claimed)
        return False
    return True


async def missed_mail_sweep(now: datetime.datetime | None = None) -> int:
    """Find what people missed, leave out those with a tab open in one of their rooms
    (seen in presence), and e-mail the others; returns how many e-mails went out."""
    found = await _in_chores(missed_find)(now)
    if not found:
        return 0
    rooms_of = await _in_chores(people_room_names)(set(found))
    online = await people_online({user_id: sorted(rooms) for user_id, rooms in rooms_of.items()})
    sent = 0
    for user_id, items in found.items():
        if user_id in online:
            continue
        sent += await _in_chores(missed_mail_send)(items[0].membership.user, items)
    return sent


def _in_chores(function):
    """``function`` run in the process's chores thread: a sweep never makes a post wait
    for the thread that stores messages, and holds one database connection."""
    return database_sync_to_async(function, thread_sensitive=False, executor=process().chores)


async def people_online(rooms_of: dict[int, list[str]]) -> set[int]:
    """Those of the people (user id -> names of their rooms) present in one of those
    rooms now (one round trip to Redis); everyone, so nobody is e-mailed, when Redis
    can't say."""
    checks = [(user_id, room) for user_id, rooms in rooms_of.items() for room in rooms]
    try:
        async with redis_client().pipeline(transaction=False) as pipe:
            for user_id, room in checks:
                pipe.hexists(room_keys(room)[2], f"user:{user_id}")
            answers = await pipe.execute()
    except LAYER_ERRORS:
        logger.warning("presence unavailable: missed-notification e-mail waits")
        return set(rooms_of)
    return {user_id for (user_id, _), present in zip(checks, answers, strict=True) if present}
