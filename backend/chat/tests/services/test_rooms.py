"""Rooms and their members: read marks and the counts they give, who may remove whom,
adding members, and direct messages."""

import pytest

from chat.access import Forbidden
from chat.identity import Identity
from chat.models import Invitation, Membership, Room
from chat.selectors import room_entries
from chat.services import ActionRefused
from chat.services.moderation import message_delete_store
from chat.services.rooms import (
    InvitationRefused,
    dm_open,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    member_add,
    member_remove,
    read_mark,
    room_create,
)
from chat.services.storing import message_store
from chat.tests.membership import dm_room, identity, person_new, post, private_room

pytestmark = pytest.mark.django_db


def counts(user, room: Room) -> tuple[int, int]:
    """(unread, mentions) of ``room`` as ``user`` sees it."""
    [entry] = [e for e in room_entries(user_id=user.pk, rooms=[room]) if e.room.pk == room.pk]
    return entry.unread, entry.mentions


def refused(code: str):
    class Check:
        def __enter__(self):
            return self

        def __exit__(self, kind, exc, tb):
            assert isinstance(exc, ActionRefused), exc
            assert exc.code == code, (exc.code, exc.detail)
            return True

    return Check()


def last_read(user, room: Room) -> int:
    return Membership.objects.get(user=user, room=room).last_read_seq


# --- read marks -------------------------------------------------------------------------------


def test_a_read_mark_moves_forward(secret, alice, bob):
    for text in ("one", "two", "three"):
        post("secret", bob, text)
    read_mark(room=Room.objects.get(pk=secret.pk), user=alice, seq=2)
    assert last_read(alice, secret) == 2


def test_a_pages_read_mark_never_goes_back(secret, alice, bob):
    for text in ("one", "two", "three"):
        post("secret", bob, text)
    room = Room.objects.get(pk=secret.pk)
    read_mark(room=room, user=alice, seq=3)
    read_mark(room=room, user=alice, seq=1, forward_only=True)
    assert last_read(alice, secret) == 3


def test_marking_unread_moves_the_read_mark_back(secret, alice, bob):
    for text in ("one", "two", "three"):
        post("secret", bob, text)
    room = Room.objects.get(pk=secret.pk)
    read_mark(room=room, user=alice, seq=3)
    read_mark(room=room, user=alice, seq=1)
    assert last_read(alice, secret) == 1


def test_a_read_mark_past_the_last_message_is_taken_as_the_last(secret, alice, bob):
    post("secret", bob, "one")
    post("secret", bob, "two")
    read_mark(room=Room.objects.get(pk=secret.pk), user=alice, seq=99)
    assert last_read(alice, secret) == 2


def test_reading_a_public_room_makes_the_reader_a_member(alice, bob):
    post("lobby", bob)
    read_mark(room=Room.objects.get(name="lobby"), user=alice, seq=1)
    assert Membership.objects.filter(room__name="lobby", user=alice, is_owner=False).exists()


def test_a_read_mark_never_makes_someone_a_member_of_a_private_room(secret, alice, bob):
    """Say the page's read request was on its way when its person was removed."""
    post("secret", alice, "one")
    member_remove(room=secret, by=alice, username="bob")
    with pytest.raises(Forbidden):
        read_mark(room=Room.objects.get(pk=secret.pk), user=bob, seq=1)
    assert not Membership.objects.filter(room=secret, user=bob).exists()


# --- counts -----------------------------------------------------------------------------------


def test_messages_from_others_after_the_mark_are_unread(secret, alice, bob):
    post("secret", bob, "one")
    post("secret", bob, "two")
    assert counts(alice, secret) == (2, 0)


def test_ones_own_messages_are_not_unread(secret, alice, bob):
    post("secret", alice, "mine")
    post("secret", bob, "theirs")
    post("secret", alice, "mine again")
    assert counts(alice, secret) == (1, 0)


def test_deleted_messages_are_not_unread(secret, alice, bob):
    post("secret", bob, "one")
    post("secret", bob, "oops")
    message_delete_store(room_name="secret", seq=2, identity=identity(bob))
    assert counts(alice, secret) == (1, 0)


def test_messages_up_to_the_mark_are_not_unread(secret, alice, bob):
    for text in ("one", "two", "@alice three"):
        post("secret", bob, text)
    read_mark(room=Room.objects.get(pk=secret.pk), user=alice, seq=2)
    assert counts(alice, secret) == (1, 1)


def test_a_deleted_mention_no_longer_counts(secret, alice, bob):
    post("secret", bob, "@alice look")
    message_delete_store(room_name="secret", seq=1, identity=identity(bob))
    assert counts(alice, secret) == (0, 0)


def test_mentions_before_the_mark_no_longer_count(secret, alice, bob):
    post("secret", bob, "@alice look")
    read_mark(room=Room.objects.get(pk=secret.pk), user=alice, seq=1)
    assert counts(alice, secret) == (0, 0)


# --- members ----------------------------------------------------------------------------------


def test_a_member_who_is_no_owner_cannot_remove_someone_else(secret, alice, bob):
    with refused("not_owner"):
        member_remove(room=secret, by=bob, username="alice")
    assert Membership.objects.filter(room=secret, user=alice).exists()


def test_anyone_can_leave(secret, bob):
    member_remove(room=secret, by=bob, username="bob")
    assert not Membership.objects.filter(room=secret, user=bob).exists()


def test_when_the_last_owner_leaves_the_member_who_joined_first_owns_the_room(secret, alice, bob):
    carol = person_new("carol")
    Membership.objects.create(room=secret, user=carol)  # joined after Bob
    member_remove(room=secret, by=alice, username="alice")
    owners = Membership.objects.filter(room=secret, is_owner=True).values_list("user", flat=True)
    assert list(owners) == [bob.pk]


def test_an_owner_leaving_while_another_owner_stays_makes_no_new_owner(secret, alice, bob):
    carol = person_new("carol")
    Membership.objects.create(room=secret, user=carol, is_owner=True)
    member_remove(room=secret, by=alice, username="alice")
    owners = Membership.objects.filter(room=secret, is_owner=True).values_list("user", flat=True)
    assert list(owners) == [carol.pk]


def test_an_owner_removes_a_member(secret, alice, bob):
    member_remove(room=secret, by=alice, username="bob")
    assert not Membership.objects.filter(room=secret, user=bob).exists()


def test_removing_a_non_member_is_refused(secret, alice):
    person_new("carol")
    with refused("unknown_member"):
        member_remove(room=secret, by=alice, username="carol")


def test_nobody_leaves_a_dm(alice, bob):
    room = dm_room(alice, bob)
    with refused("not_private"):
        member_remove(room=room, by=alice, username="alice")
    assert room.memberships.count() == 2


def test_adding_someone_twice_gives_the_same_membership(secret, alice):
    carol = person_new("carol")
    first, created = member_add(room=secret, by=alice, username="carol")
    again, created_again = member_add(room=secret, by=alice, username="carol")
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk and first.user == carol and not first.is_owner


def test_people_are_added_to_private_rooms_only(alice, bob):
    person_new("carol")
    public = Room.objects.create(name="lobby")
    for room in (public, dm_room(alice, bob)):
        with refused("not_private"):
            member_add(room=room, by=alice, username="carol")


def test_adding_an_unknown_username_is_refused(secret, alice):
    with refused("unknown_user"):
        member_add(room=secret, by=alice, username="nobody")


# --- creating rooms and direct messages -----------------------------------------------------


def test_the_maker_of_a_room_owns_it(alice):
    room = room_create(user=alice, name="plans", private=True)
    assert room.kind == Room.Kind.PRIVATE
    assert Membership.objects.get(room=room).user == alice
    assert Membership.objects.get(room=room).is_owner


def test_a_dm_is_the_same_room_whoever_opens_it(alice, bob):
    room, created = dm_open(user=alice, username="bob")
    again, created_again = dm_open(user=bob, username="alice")
    assert (created, created_again) == (True, False)
    assert room.pk == again.pk
    assert room.name == f"dm-{min(alice.pk, bob.pk)}-{max(alice.pk, bob.pk)}"
    assert set(room.memberships.values_list("user__username", flat=True)) == {"alice", "bob"}


def test_a_dm_with_oneself_is_refused(alice):
    with refused("dm_self"):
        dm_open(user=alice, username="alice")


# --- invitations ------------------------------------------------------------------------------


def test_a_removed_member_can_not_come_back_with_a_link_they_made(secret, alice, bob):
    _, token = invitation_create(room=secret, by=bob)
    member_remove(room=secret, by=alice, username="bob")
    with pytest.raises(InvitationRefused) as refused:
        invitation_accept(token=token, user=bob)
    assert refused.value.code == "invitation_revoked"
    assert not Membership.objects.filter(room=secret, user=bob).exists()


def test_a_link_revoked_after_it_was_looked_up_is_not_used(secret, alice, bob, monkeypatch):
    """The revocation lands between the link's check and its use."""
    from chat.services import rooms

    invitation, token = invitation_create(room=secret, by=alice)
    carol = person_new("carol")
    found = rooms.invitation_find

    def find_then_revoke(token):
        result = found(token)
        invitation_revoke(room=secret, by=alice, invitation_id=invitation.pk)
        return result

    monkeypatch.setattr(rooms, "invitation_find", find_then_revoke)
    with pytest.raises(InvitationRefused):
        invitation_accept(token=token, user=carol)
    assert not Membership.objects.filter(room=secret, user=carol).exists()
    assert Invitation.objects.get(pk=invitation.pk).used_by is None


def test_a_dm_whose_name_an_old_room_took_is_refused_clearly(alice, bob):
    Room.objects.create(name=f"dm-{min(alice.pk, bob.pk)}-{max(alice.pk, bob.pk)}")
    with refused("dm_unavailable"):
        dm_open(user=alice, username="bob")


# --- posting --------------------------------------------------------------------------------


def test_a_post_from_someone_no_longer_a_member_is_refused(secret, alice, bob):
    """Posted as the sender was removed (their connection was checked before)."""
    member_remove(room=secret, by=alice, username="bob")
    with refused("forbidden"):
        message_store(room_name="secret", identity=identity(bob), text="late", nonce=None)
    assert not Room.objects.get(pk=secret.pk).last_seq


def test_a_guest_post_to_a_name_just_made_private_is_refused(alice):
    """The guest connected while the name was free."""
    room_create(user=alice, name="fresh", private=True)
    guest = Identity("guest:g1", "gina", True)
    with refused("forbidden"):
        message_store(room_name="fresh", identity=guest, text="hello?", nonce=None)


def test_a_room_made_again_under_a_cached_name_takes_its_members_posts(alice, bob):
    """A room without messages deleted in the admin, and made again under its name."""
    from chat.services import storing

    storing._rooms["again"] = Room(pk=999_999, name="again", kind=Room.Kind.PRIVATE)
    private_room("again", alice, bob)
    message, created = message_store(
        room_name="again", identity=identity(bob), text="hi", nonce=None
    )
    assert created and message.room.name == "again"
