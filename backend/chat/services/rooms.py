"""Rooms and their members: creating rooms, adding and removing people, direct
messages, invitations and read marks.

Each function checks what the rules require of the person acting (the caller
has checked they may read the room, chat.access), writes, and tells the open
connections concerned once that is committed (also when the caller's own
transaction, such as the admin's, is what commits it): the people whose rooms
changed get a ``chat.access`` broadcast, after which their connections check
again whether they may stay.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.access import ROOM_ARCHIVED, Forbidden, dm_name, name_reserved
from chat.models import Invitation, Membership, Room
from chat.protocol import events
from chat.rooms import InvalidRoomName, room_name_clean
from chat.services import ActionRefused
from chat.services.broadcast import (
    activity_address,
    event_message,
    on_commit_send,
    person_address,
    room_address,
)

INVITATION_HOURS_DEFAULT = 72
INVITATION_HOURS_MAX = 720


def _user_key(user_id: int) -> str:
    return f"user:{user_id}"


def access_changed(room: Room, *user_ids: int, whole_room: bool = False) -> None:
    """Tell the connections of these people (and with ``whole_room``, every connection in
    the room) that who may read ``room`` changed, once the change is committed; and the
    pages open in the room that its members changed (they show them)."""
    addresses = [person_address(_user_key(user_id)) for user_id in user_ids]
    if whole_room:
        addresses.append(room_address(room.name))
    for address in addresses:
        on_commit_send(address, {"type": events.ACCESS_TYPE, "room": room.name})
    if user_ids and room.kind != Room.Kind.PUBLIC:
        members = {
            "type": events.GROUP_EVENT_TYPE,
            "text": events.event_encode(events.MEMBERS_EVENT),
        }
        on_commit_send(room_address(room.name), members)


def room_name_taken_as(name: str) -> str | None:
    """The name of the room that ``name`` is taken by whatever the case ("General" by
    "general"), if any: two rooms never differ by case alone."""
    return Room.objects.filter(name__iexact=name).values_list("name", flat=True).first()


def room_create(*, user, name: str, private: bool) -> Room:
    """A new room owned by ``user``. Raises ActionRefused: ``invalid_room``,
    ``reserved_name`` (a DM's form of name, whether that DM exists or not) or
    ``room_taken`` (by a public or private room)."""
    try:
        name = room_name_clean(name.strip())
    except InvalidRoomName as exc:
        raise ActionRefused("invalid_room", exc.detail) from None
    if name_reserved(name):
        raise ActionRefused(
            "reserved_name", _("Names like “dm-1-2” are kept for direct messages; pick another.")
        )
    kind = Room.Kind.PRIVATE if private else Room.Kind.PUBLIC
    taken = room_name_taken_as(name)
    if taken is not None:
        raise ActionRefused("room_taken", format_lazy(ROOM_TAKEN, name=taken))
    try:
        with transaction.atomic():
            room = Room.objects.create(name=name, kind=kind)
            Membership.objects.create(room=room, user=user, is_owner=True)
    except IntegrityError:
        raise ActionRefused("room_taken", format_lazy(ROOM_TAKEN, name=name)) from None
    # Anyone connected to the name while it was free must now be a member to stay.
    access_changed(room, user.pk, whole_room=private)
    return room


def _username_user(username: str):
    """The account called ``username``: exactly, else whatever the case ("Bob" is bob)."""
    username = (username or "").strip()
    accounts = get_user_model().objects
    user = accounts.filter(username=username).first() if username else None
    if user is None and username:
        alike = list(accounts.filter(username__iexact=username)[:2])
        user = alike[0] if len(alike) == 1 else None
    if user is None:
        raise ActionRefused(
            "unknown_user", format_lazy(_("No one has signed up as “{name}”."), name=username)
        )
    return user


def not_private(room: Room) -> ActionRefused:
    """Why people aren't added to (or invited into) a room that isn't private."""
    if room.kind == Room.Kind.PUBLIC:
        return ActionRefused("not_private", _("Anyone can read a public room: share its link."))
    return ActionRefused("not_private", _("A direct message is between its two people."))


def member_add(*, room: Room, by, username: str) -> tuple[Membership, bool]:
    """Add a person (by username) to a private room ``by`` is a member of; returns the
    membership and whether it is new."""
    if room.kind != Room.Kind.PRIVATE:
        raise not_private(room)
    user = _username_user(username)
    most = settings.CHAT_PRIVATE_ROOMS_PER_PERSON_MAX
    if user.pk != by.pk and (
        Membership.objects.filter(user=user, room__kind=Room.Kind.PRIVATE).count() >= most
    ):
        raise ActionRefused(
            "too_many_rooms",
            format_lazy(
                _(
                    "“{name}” is in {count} private rooms already: they can join this one by "
                    "an invitation link."
                ),
                name=user.username,
                count=f"{most:,}",
            ),  # fmt: skip
        )
    membership, created = Membership.objects.update_or_create(
        room=room, user=user, defaults={"chosen": True}
    )
    if created:
        access_changed(room, user.pk)
    return membership, created


def member_remove(*, room: Room, by, username: str) -> None:
    """Take a person out of a room: an owner removes anyone, anyone removes themselves.
    The removed person's connections to a private room close at once. When the last
    owner leaves a private room, the member who joined first owns it from then on."""
    membership = Membership.objects.filter(room=room, user__username=username).first()
    if membership is None:
        raise ActionRefused(
            "unknown_member",
            format_lazy(_("“{name}” is not a member of this room."), name=username),
        )
    owner = Membership.objects.filter(room=room, user=by, is_owner=True).exists()
    if membership.user_id != by.pk and not owner:
        raise ActionRefused("not_owner", _("Only the room's owners can remove other people."))
    if room.kind == Room.Kind.DM:
        raise ActionRefused("not_private", _("A direct message is between its two people."))
    with transaction.atomic():
        membership.delete()
        if membership.is_owner and not room.memberships.filter(is_owner=True).exists():
            heir = room.memberships.order_by("joined", "pk").first()
            if heir is not None:
                Membership.objects.filter(pk=heir.pk).update(is_owner=True)
        # Links the person made would let them (or anyone) straight back in.
        Invitation.objects.filter(
            room=room, created_by_id=membership.user_id, used_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=timezone.now())  # fmt: skip
    access_changed(room, membership.user_id)


def dm_open(*, user, username: str) -> tuple[Room, bool]:
    """The direct-message room of ``user`` and the person called ``username`` (made the
    first time); returns it and whether it is new."""
    if not (username or "").strip():
        raise ActionRefused("dm_nobody", _("Name the person to write to."))
    other = _username_user(username)
    if other.pk == user.pk:
        raise ActionRefused("dm_self", _("A direct message needs someone other than you."))
    low, high = sorted((user.pk, other.pk))
    pair = f"{low}:{high}"
    room = Room.objects.filter(dm_pair=pair).first()
    if room is not None:
        # Opened again by someone who had closed it: back in their sidebar.
        Membership.objects.filter(room=room, user=user, closed=True).update(closed=False)
        return room, False
    try:
        with transaction.atomic():
            room = Room.objects.create(name=dm_name(low, high), kind=Room.Kind.DM, dm_pair=pair)
            Membership.objects.bulk_create(
                [Membership(room=room, user_id=low), Membership(room=room, user_id=high)]
            )
    except IntegrityError:
        room = Room.objects.filter(dm_pair=pair).first()
        if room is None:  # a room took the name before it was kept for DMs
            raise ActionRefused(
                "dm_unavailable", _("This direct message can't be opened: ask an administrator.")
            ) from None
        return room, False  # the other person opened it at the same moment
    access_changed(room, low, high)
    return room, True


def room_made_private(room: Room) -> list[int]:
    """A public room was made private: only its chosen members stay (not those who only
    read it while it was public). Returns the users who are members no more."""
    readers = Membership.objects.filter(room=room, chosen=False)
    gone = list(readers.values_list("user_id", flat=True))
    readers.delete()
    access_changed(room, *gone)  # their tabs elsewhere drop it from the sidebar
    return gone


def _own_membership(room: Room, user, *, refusal) -> tuple[Membership, bool]:
    """The person's membership of ``room`` and whether it is new: reading a public room
    (or choosing how it notifies them) makes them a member, as it joins their sidebar.
    Raises Forbidden (``refusal``) when they are not a member of a private room or DM."""
    if room.kind == Room.Kind.PUBLIC:
        return Membership.objects.get_or_create(room=room, user=user, defaults={"chosen": False})
    membership = Membership.objects.filter(room=room, user=user).first()
    if membership is None:
        raise Forbidden(refusal)
    return membership, False


def read_mark(*, room: Room, user, seq: int, forward_only: bool = False) -> Membership:
    """Move ``user``'s read mark in ``room`` to ``seq`` (at most the room's last): forward,
    or back (to mark what follows unread) unless ``forward_only`` (a page's marks as it
    shows messages, which may arrive after another tab's). Every tab of the person hears
    of it. Raises Forbidden when they are not a member of a private room or DM (say,
    removed a moment ago)."""
    seq = min(seq, room.last_seq)
    membership, joined = _own_membership(
        room, user, refusal=_("Only the members of this room have a read mark in it.")
    )
    rows = Membership.objects.filter(pk=membership.pk).exclude(last_read_seq=seq)
    if forward_only or seq > membership.last_read_seq:
        rows = rows.filter(last_read_seq__lt=seq)
    if membership.closed and forward_only:  # a closed DM read on its page: open again
        Membership.objects.filter(pk=membership.pk).update(closed=False)
        membership.closed = False
    if rows.update(last_read_seq=seq):
        membership.refresh_from_db(fields=["last_read_seq"])
        event = events.read_event(room.name, membership.last_read_seq)
        on_commit_send(person_address(_user_key(user.pk)), event_message(event))
    if joined:
        access_changed(room, user.pk)
    return membership


def level_default(room: Room) -> str:
    """What notifies a person who didn't choose: a DM's every message, a room's mentions."""
    return Membership.Level.ALL if room.kind == Room.Kind.DM else Membership.Level.MENTIONS


def level_set(*, room: Room, user, level: object) -> Membership:
    """Choose what in ``room`` notifies ``user`` (``all``, ``mentions`` or ``nothing``);
    their other tabs update their sidebar."""
    if level not in Membership.Level.values:
        raise ActionRefused("invalid_level", _('"level" must be "all", "mentions" or "nothing".'))
    membership, joined = _own_membership(
        room, user, refusal=_("Only the members of this room have notification settings in it.")
    )
    membership.level = level
    membership.save(update_fields=["level"])
    if joined:
        access_changed(room, user.pk)
    else:
        on_commit_send(person_address(_user_key(user.pk)), event_message(events.ROOMS_EVENT))
    return membership


def dm_close(*, room: Room, user) -> None:
    """Take a DM out of the person's sidebar (every tab's) until it is opened again or
    has something new; nothing else changes."""
    if room.kind != Room.Kind.DM:
        raise ActionRefused("not_dm", _("Only a direct message is closed; leave a room instead."))
    membership, _joined = _own_membership(
        room, user, refusal=_("Only the members of this room have a sidebar entry in it.")
    )
    Membership.objects.filter(pk=membership.pk).update(closed=True)
    on_commit_send(person_address(_user_key(user.pk)), event_message(events.ROOMS_EVENT))


def all_mentions_set(*, room: Room, allowed: object, by) -> Room:
    """Turn @all, @room and @here on or off in ``room`` (admins)."""
    if not by.is_staff:
        raise ActionRefused("forbidden", _("Only admins turn @all on or off in a room."))
    if not isinstance(allowed, bool):
        raise ActionRefused("invalid_all_mentions", _('"all_mentions" must be true or false.'))
    Room.objects.filter(pk=room.pk).update(all_mentions=allowed)
    room.all_mentions = allowed
    return room


TOPIC_MAX = 250
DESCRIPTION_MAX = 2000


def _may_manage(room: Room, by, refusal) -> None:
    """Admins, the room's owners and, in a DM, its two people may change the room; the
    others are refused ``not_owner`` with ``refusal``."""
    if by.is_staff:
        return
    members = Membership.objects.filter(room=room, user=by)
    if room.kind != Room.Kind.DM:
        members = members.filter(is_owner=True)
    if not members.exists():
        raise ActionRefused("not_owner", refusal)


def room_changed(room: Room) -> None:
    """Once committed: pages open in the room get its topic and state (a ``room`` event);
    its members' sidebars read their rooms again."""
    on_commit_send(room_address(room.name), event_message(events.room_event(room)))
    on_commit_send(activity_address(room.name), event_message(events.ROOMS_EVENT))


def room_about_set(*, room: Room, by, topic: object = None, description: object = None) -> Room:
    """Set the room's topic (one line, inline Markdown) and/or description."""
    _may_manage(room, by, _("Only the room's owners and admins can change its topic."))
    changed = {}
    if topic is not None:
        if not isinstance(topic, str) or len(topic) > TOPIC_MAX or "\n" in topic:
            raise ActionRefused(
                "invalid_topic",
                format_lazy(_("A topic is one line of at most {max} characters."), max=TOPIC_MAX),
            )
        changed["topic"] = topic.strip()
    if description is not None:
        if not isinstance(description, str) or len(description) > DESCRIPTION_MAX:
            raise ActionRefused(
                "invalid_description",
                format_lazy(
                    _("A description is text of at most {max} characters."), max=DESCRIPTION_MAX
                ),
            )
        changed["description"] = description.strip()
    if changed:
        Room.objects.filter(pk=room.pk).update(**changed)
        for field, value in changed.items():
            setattr(room, field, value)
        room_changed(room)
    return room


def room_archive(*, room: Room, by, archived: bool) -> Room:
    """Archive the room (readable and searchable, nothing new in it) or bring it back."""
    if room.kind == Room.Kind.DM:
        raise ActionRefused("not_archivable", _("A direct message is closed, not archived."))
    _may_manage(room, by, _("Only the room's owners and admins can archive it."))
    if archived == (room.archived_at is not None):
        return room
    room.archived_at = timezone.now() if archived else None
    Room.objects.filter(pk=room.pk).update(archived_at=room.archived_at)
    room_changed(room)
    return room


def archived_check(room: Room) -> None:
    if room.archived_at is not None:
        raise ActionRefused("room_archived", ROOM_ARCHIVED)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(*, room: Room, by, hours: int = INVITATION_HOURS_DEFAULT):
    """A single-use link to a private room ``by`` is a member of; returns the invitation
    and its token (shown once: only its hash is kept)."""
    if room.kind != Room.Kind.PRIVATE:
        raise not_private(room)
    if not 1 <= hours <= INVITATION_HOURS_MAX:
        raise ActionRefused(
            "invalid_hours",
            format_lazy(_("An invitation lasts 1 to {max} hours."), max=INVITATION_HOURS_MAX),
        )
    token = secrets.token_urlsafe(24)
    invitation = Invitation.objects.create(
        room=room, token_hash=_token_hash(token), created_by=by,
        expires=timezone.now() + timedelta(hours=hours),
    )  # fmt: skip
    return invitation, token


def invitation_revoke(*, room: Room, by, invitation_id: int) -> None:
    """Revoke an invitation: its maker or one of the room's owners may."""
    invitation = Invitation.objects.filter(room=room, pk=invitation_id).first()
    if invitation is None:
        raise ActionRefused("unknown_invitation", _("This room has no such invitation."))
    if (
        invitation.created_by_id != by.pk
        and not Membership.objects.filter(room=room, user=by, is_owner=True).exists()
    ):
        raise ActionRefused("not_owner", _("Only its maker or an owner can revoke an invitation."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


INVITATION_USED = _("This invitation has been used already: ask for a new one.")
ROOM_TAKEN = _("There is already a room called “{name}”.")


class InvitationRefused(ActionRefused):
    """An invitation link that can't be used; ``status`` is the HTTP status for it."""

    def __init__(self, code: str, detail: str, status: int) -> None:
        super().__init__(code, detail)
        self.status = status


def invitation_find(token: str) -> Invitation:
    """The usable invitation of a link's token; raises InvitationRefused saying why not."""
    invitation = (
        Invitation.objects.select_related("room").filter(token_hash=_token_hash(token)).first()
    )
    if invitation is None:
        raise InvitationRefused(
            "unknown_invitation",
            _("This invitation link isn't one of ours: check it was copied whole."),
            404,
        )
    if invitation.revoked_at is not None:
        raise InvitationRefused("invitation_revoked", _("This invitation was revoked."), 410)
    if invitation.used_at is not None:
        raise InvitationRefused("invitation_used", INVITATION_USED, 410)
    if invitation.expires <= timezone.now():
        raise InvitationRefused(
            "invitation_expired", _("This invitation has expired: ask for a new one."), 410
        )
    return invitation


def invitation_accept(*, token: str, user) -> Room:
    """Make ``user`` a member of the invitation's room, using the invitation up."""
    with transaction.atomic():
        invitation = invitation_find(token)
        now = timezone.now()
        used = Invitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True, expires__gt=now
        ).update(used_at=now, used_by=user)
        if not used:  # used, or revoked, a moment ago
            raise InvitationRefused("invitation_used", INVITATION_USED, 410)
        Membership.objects.update_or_create(
            room=invitation.room, user=user, defaults={"chosen": True}
        )
    access_changed(invitation.room, user.pk)
    return invitation.room
