"""Who a stored message @mentions: the room's members by username, and in a public room
the people present, guests included, by the name they show."""

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from chat.models import Membership, Mention, Message, Room
from chat.services import storing
from chat.services.messages import messages_post
from chat.services.storing import Post, messages_store
from chat.tests.helpers import guest_session
from chat.tests.membership import dm_room, identity, person_id, person_new, post, private_room

pytestmark = pytest.mark.django_db


def counted(user) -> int:
    """How many mentions of ``user`` count (for their mention counts)."""
    return Mention.objects.filter(user=user).count()


def test_a_member_of_a_private_room_is_mentioned(alice, bob):
    private_room("secret", alice, bob)
    message = post("secret", alice, "@bob hi")
    assert Message.objects.get(pk=message.pk).mentions == [person_id(bob)]
    assert counted(bob) == 1


def test_someone_not_a_member_of_a_private_room_is_not_mentioned(alice, bob):
    private_room("secret", alice, bob)
    carol = person_new("carol")
    message = post("secret", alice, "@carol are you there?")
    assert Message.objects.get(pk=message.pk).mentions == []
    assert counted(carol) == 0


def test_the_other_person_of_a_dm_is_mentioned(alice, bob):
    room = dm_room(alice, bob)
    message = post(room.name, alice, "@bob see this")
    assert message.mentions == [person_id(bob)]
    assert counted(bob) == 1


def lobby_with(*people) -> Room:
    """The public room "lobby", kept in these people's sidebars."""
    room = Room.objects.create(name="lobby")
    for user in people:
        Membership.objects.create(room=room, user=user)
    return room


def test_a_member_of_a_public_room_is_mentioned(alice, bob):
    lobby_with(bob)
    message = post("lobby", alice, "hello @bob")
    assert message.mentions == [person_id(bob)]
    assert counted(bob) == 1


def test_someone_neither_member_nor_present_is_not_mentioned_in_a_public_room(alice, bob):
    """Or anyone could push notifications to any account."""
    lobby_with()
    assert post("lobby", alice, "hello @bob").mentions == []
    assert counted(bob) == 0


def test_a_text_of_endless_name_parts_looks_up_a_bounded_number_of_names(alice, bob):
    from chat.services.mentions import LOOKUPS_MAX, _usernames_after_at

    assert len(_usernames_after_at(["@" + "a-" * 2000])) <= LOOKUPS_MAX
    lobby_with(bob)
    assert post("lobby", alice, "@" + "a-" * 1900 + " @bob").mentions == [person_id(bob)]


def test_usernames_are_mentioned_whatever_their_case(alice, bob):
    lobby_with(bob)
    message = post("lobby", alice, "@BOB hi")
    assert message.mentions == [person_id(bob)]


def test_a_longer_username_is_not_taken_for_its_prefix(alice):
    al = person_new("al")
    bob = person_new("bob")
    lobby_with(alice, al)
    assert post("lobby", bob, "@alice hi").mentions == [person_id(alice)]
    assert post("lobby", bob, "@al hi").mentions == [person_id(al)]
    assert (counted(alice), counted(al)) == (1, 1)


def test_a_name_that_goes_on_mentions_nobody(alice, bob):
    lobby_with(alice)
    assert post("lobby", bob, "@alices hi").mentions == []
    assert counted(alice) == 0


def test_mentioning_oneself_does_not_count(alice, bob):
    private_room("secret", alice, bob)
    post("secret", alice, "note to @alice")
    assert counted(alice) == 0


def test_each_person_counts_once_per_message(alice, bob):
    lobby_with(bob)
    post("lobby", alice, "@bob @bob @BOB!")
    assert counted(bob) == 1


@pytest.mark.django_db(transaction=True)
async def test_a_present_guest_is_mentioned_by_their_display_name(alice, connect_room):
    guest = await connect_room("lobby", session=await guest_session("Анна Ли"))
    await guest.receive(kinds={"presence"})  # sent once the guest is registered as present
    [result] = await messages_post(
        room_name="lobby", posts=[Post(identity(alice), "@анна ли, привет")]
    )
    assert result.message.mentions == [guest.identity["id"]]
    assert await database_sync_to_async(Mention.objects.count)() == 0


def test_a_room_made_private_after_it_was_cached_mentions_by_its_new_kind(alice, bob):
    # Mentions are found before the room's row is locked, for the kind the poster
    # cached; the kind read under the lock decides.
    lobby = lobby_with(alice)
    post("lobby", alice, "first")  # the room is cached as public
    Room.objects.filter(pk=lobby.pk).update(kind=Room.Kind.PRIVATE)
    present = [{"user": "bob", "id": person_id(bob), "guest": False}]
    (stored,) = messages_store(
        room_name="lobby", posts=[Post(identity(alice), "@bob look")], present=present
    )
    assert stored.message.mentions == []  # bob is present, but not a member of the room now
    assert counted(bob) == 0


@pytest.mark.django_db(transaction=True)
def test_mentions_in_a_cached_room_are_found_before_the_transaction_begins(alice, bob, monkeypatch):
    # SQLite takes its write lock as a transaction begins: matching and its lookups must
    # not hold it (a long text would hold up every room's posts).
    lobby_with(alice, bob)
    post("lobby", alice, "first")  # the room is cached now
    inside = []
    real = storing.mentions_resolve_rooms

    def resolve(rooms):
        inside.append(connection.in_atomic_block)
        return real(rooms)

    monkeypatch.setattr(storing, "mentions_resolve_rooms", resolve)
    message = post("lobby", alice, "@bob look")
    assert message.mentions == [person_id(bob)]
    assert inside == [False]
