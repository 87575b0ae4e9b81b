"""Steering attention (docs/api.md, docs/protocol.md): notification levels per room and
DM, Do Not Disturb, @all / @room / @here with their confirmation, groups, and marking
a room unread. Pushes go to a real local push service."""

import datetime

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat.models import Membership, Mention, Message, Room
from chat.services.rooms import dm_open
from chat.tests.helpers import eventually, user_session
from chat.tests.membership import api, client_of, error_code, person_new, room_listed
from chat.tests.services.test_activity import _member, _post, _subscribed
from people.groups import group_create
from people.models import Profile

pytestmark = pytest.mark.django_db(transaction=True)


async def _api_as(user, method: str, path: str, body: dict | None = None):
    return await database_sync_to_async(lambda: api(client_of(user), method, path, body))()


def _level(user, room: str, level: str):
    return api(client_of(user), "put", f"/api/rooms/{room}/notifications/", {"level": level})


# --- levels -------------------------------------------------------------------------


def test_levels_default_to_mentions_in_rooms_and_all_in_dms(alice, bob):
    Room.objects.create(name="design")
    dm_open(user=alice, username="bob")
    client = client_of(alice)
    api(client, "post", "/api/rooms/design/read/", {"seq": 0})
    assert room_listed(client, "design")["level"] == "mentions"
    [dm] = [r for r in api(client, "get", "/api/rooms/").json()["rooms"] if r["kind"] == "dm"]
    assert dm["level"] == "all" and dm["dm_with"] == "bob"


def test_a_level_is_chosen_and_listed(alice):
    Room.objects.create(name="design")
    response = _level(alice, "design", "nothing")
    assert response.status_code == 200 and response.json()["level"] == "nothing"
    assert room_listed(client_of(alice), "design")["level"] == "nothing"


def test_a_bad_level_is_refused_by_name(alice):
    Room.objects.create(name="design")
    response = _level(alice, "design", "loud")
    assert response.status_code == 400 and error_code(response) == "invalid_level"


def test_a_private_rooms_level_is_for_its_members_only(alice, bob, secret):
    carol = person_new("carol")
    assert _level(carol, "secret", "all").status_code == 403


async def test_level_all_pushes_every_message(push_service, vapid_public_key):
    alice = await database_sync_to_async(person_new)("alice")
    bob, _ = await _subscribed("bob", push_service)
    await _member("design", bob)
    await database_sync_to_async(_level)(bob, "design", "all")
    await _post("design", alice, "no mention at all")
    await eventually(lambda: push_service.received, what="a push for every message")


async def test_level_nothing_silences_even_a_mention_but_counts_it(push_service, vapid_public_key):
    alice = await database_sync_to_async(person_new)("alice")
    bob, _ = await _subscribed("bob", push_service)
    carol, _ = await _subscribed("carol", push_service)
    await _member("design", bob)
    await _member("design", carol)
    await database_sync_to_async(_level)(bob, "design", "nothing")
    await _post("design", alice, "@bob @carol look")
    await eventually(lambda: push_service.received, what="carol's push")
    assert [push.path for push in push_service.received] == ["/carol"]
    assert await Mention.objects.filter(user=bob).acount() == 1  # still counted


async def test_do_not_disturb_silences_pushes_until_it_ends(push_service, vapid_public_key):
    alice = await database_sync_to_async(person_new)("alice")
    bob, _ = await _subscribed("bob", push_service)
    carol, _ = await _subscribed("carol", push_service)
    room, _ = await database_sync_to_async(dm_open)(user=alice, username="bob")
    await Profile.objects.acreate(user=bob, dnd_until=timezone.now() + datetime.timedelta(hours=1))
    await _post(room.name, alice, "are you there?")
    other, _ = await database_sync_to_async(dm_open)(user=alice, username="carol")
    await _post(other.name, alice, "and you?")
    await eventually(lambda: push_service.received, what="carol's push")
    assert [push.path for push in push_service.received] == ["/carol"]


# --- @all, @here, groups ------------------------------------------------------------


async def _crowd(room: str, count: int) -> list:
    people = []
    for number in range(count):
        person = await database_sync_to_async(person_new)(f"p{number}")
        await _member(room, person)
        people.append(person)
    return people


async def test_at_all_mentions_every_member_and_marks_the_message(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    crowd = await _crowd("design", 3)
    tab = await connect_room("design", session=await user_session(alice))
    frame = await tab.post("@all release at noon")
    assert frame["mentions"] == ["all"]
    mentioned = Mention.objects.filter(seq=frame["seq"]).values_list("user_id", flat=True)
    assert sorted([m async for m in mentioned]) == sorted(p.pk for p in crowd)


async def test_at_all_in_a_big_room_asks_for_confirmation_first(connect_room, settings):
    settings.CHAT_BROADCAST_CONFIRM = 2
    alice = await database_sync_to_async(person_new)("alice")
    await _crowd("design", 3)
    tab = await connect_room("design", session=await user_session(alice))
    await tab.send({"message": "@room deploy freeze", "nonce": "n-1"})
    error = await tab.until(lambda f: f["type"] == "error", timeout=5)
    assert error["code"] == "confirm_required"
    assert error["nonce"] == "n-1" and error["people"] == 3
    assert "3 people" in error["detail"]
    assert not await Message.objects.filter(room__name="design").aexists()
    await tab.send({"message": "@room deploy freeze", "nonce": "n-1", "confirm": True})
    frame = await tab.until(lambda f: f["type"] == "message", timeout=5)
    assert frame["mentions"] == ["all"]


async def test_at_all_can_be_turned_off_in_a_room_by_an_admin(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    boss = await database_sync_to_async(person_new)("boss", is_staff=True)
    await _crowd("design", 1)
    refused = await _api_as(alice, "patch", "/api/rooms/design/", {"all_mentions": False})
    assert refused.status_code == 403
    response = await _api_as(boss, "patch", "/api/rooms/design/", {"all_mentions": False})
    assert response.status_code == 200 and response.json()["all_mentions"] is False
    tab = await connect_room("design", session=await user_session(alice))
    await tab.send({"message": "@all hello", "nonce": "n-2"})
    error = await tab.until(lambda f: f["type"] == "error", timeout=5)
    assert error["code"] == "all_mentions_off"


async def test_at_here_mentions_only_the_people_present(connect_room):
    alice, bob, carol = [
        await database_sync_to_async(person_new)(name) for name in ("alice", "bob", "carol")
    ]
    for person in (alice, bob, carol):
        await _member("design", person)
    await connect_room("design", session=await user_session(bob))
    tab = await connect_room("design", session=await user_session(alice))
    frame = await tab.post("@here standup")
    assert frame["mentions"] == ["here"]
    mentioned = [m async for m in Mention.objects.filter(seq=frame["seq"]).values_list(
        "user_id", flat=True)]  # fmt: skip
    assert mentioned == [bob.pk]


async def test_a_group_mention_reaches_members_who_may_read_the_room_only(connect_room):
    alice, bob, carol, boss = [
        await database_sync_to_async(person_new)(name, is_staff=name == "boss")
        for name in ("alice", "bob", "carol", "boss")
    ]
    room = await Room.objects.acreate(name="secret", kind=Room.Kind.PRIVATE)
    for person in (alice, bob):
        await Membership.objects.acreate(room=room, user=person)
    await database_sync_to_async(group_create)(name="designers", members=["bob", "carol"], by=boss)
    tab = await connect_room("secret", session=await user_session(alice))
    frame = await tab.post("@designers please review")
    assert frame["mentions"] == [public_id(bob)]
    mentioned = [m async for m in Mention.objects.values_list("user_id", flat=True)]
    assert mentioned == [bob.pk]  # carol isn't told of a room she can't read


def public_id(user) -> str:
    from chat.rooms import public_person_id

    return public_person_id(f"user:{user.pk}")


# --- groups API ---------------------------------------------------------------------


@pytest.fixture
def boss():
    return person_new("boss", is_staff=True)


def test_admins_make_change_and_remove_groups(boss, alice, bob):
    client = client_of(boss)
    made = api(client, "post", "/api/groups/", {"name": "design", "members": ["alice"]})
    assert made.status_code == 201 and made.json() == {"name": "design", "members": ["alice"]}
    changed = api(client, "patch", "/api/groups/design/", {"members": ["alice", "bob"]})
    assert changed.json()["members"] == ["alice", "bob"]
    listed = api(client_of(alice), "get", "/api/groups/").json()["groups"]
    assert listed == [{"name": "design", "members": ["alice", "bob"]}]
    assert api(client, "delete", "/api/groups/design/").status_code == 204
    assert api(client, "get", "/api/groups/design/").status_code == 404


def test_only_admins_make_groups(alice):
    response = api(client_of(alice), "post", "/api/groups/", {"name": "x", "members": []})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "code"),
    [("all", "invalid_group_name"), ("HERE", "invalid_group_name"),
     ("alice", "invalid_group_name"), ("de sign", "invalid_group_name"),
     ("", "invalid_group_name")],
)  # fmt: skip
def test_a_group_name_cant_shadow_a_person_or_a_broadcast(boss, alice, name, code):
    response = api(client_of(boss), "post", "/api/groups/", {"name": name, "members": []})
    assert response.status_code == 400 and error_code(response) == code


def test_a_group_of_someone_unknown_is_refused(boss):
    response = api(client_of(boss), "post", "/api/groups/", {"name": "ops", "members": ["zed"]})
    assert response.status_code == 404 and error_code(response) == "unknown_person"


def test_a_second_group_of_the_same_name_is_refused(boss):
    api(client_of(boss), "post", "/api/groups/", {"name": "ops", "members": []})
    response = api(client_of(boss), "post", "/api/groups/", {"name": "OPS", "members": []})
    assert response.status_code == 409 and error_code(response) == "group_taken"


# --- mark unread --------------------------------------------------------------------


async def test_marking_unread_moves_the_mark_back_in_every_tab(connect_room):
    alice, bob = [await database_sync_to_async(person_new)(n) for n in ("alice", "bob")]
    await _member("design", alice)
    for text in ("one", "two", "three"):
        await _post("design", bob, text)
    await _api_as(alice, "post", "/api/rooms/design/read/", {"seq": 3})
    other_tab = await connect_room("lobby", session=await user_session(alice))
    response = await _api_as(alice, "post", "/api/rooms/design/read/", {"seq": 1})
    assert response.json()["last_read"] == 1 and response.json()["unread"] == 2
    frame = await other_tab.until(lambda f: f["type"] == "read" and f["seq"] == 1, timeout=5)
    assert frame["room"] == "design"
    stale = await _api_as(alice, "post", "/api/rooms/design/read/", {"seq": 0, "forward": True})
    assert stale.json()["last_read"] == 1


# --- closing a DM -------------------------------------------------------------------


def _listed_names(user) -> list[str]:
    return [room["name"] for room in api(client_of(user), "get", "/api/rooms/").json()["rooms"]]


def test_a_closed_dm_leaves_the_sidebar_until_something_new_or_opened_again(alice, bob):
    room, _ = dm_open(user=alice, username="bob")
    assert api(client_of(alice), "post", f"/api/rooms/{room.name}/close/").status_code == 204
    assert room.name not in _listed_names(alice)
    assert room.name in _listed_names(bob)  # only hers
    from chat.tests.membership import post

    post(room.name, bob, "still there?")
    assert room.name in _listed_names(alice)  # something unread
    api(client_of(alice), "post", f"/api/rooms/{room.name}/read/", {"seq": 1, "forward": True})
    assert room.name in _listed_names(alice)  # read on its page: open again
    api(client_of(alice), "post", f"/api/rooms/{room.name}/close/")
    dm_open(user=alice, username="bob")
    assert room.name in _listed_names(alice)


def test_only_a_dm_is_closed(alice):
    Room.objects.create(name="design")
    response = api(client_of(alice), "post", "/api/rooms/design/close/")
    assert response.status_code == 400 and error_code(response) == "not_dm"


async def test_a_group_that_reaches_no_one_here_mentions_no_one(connect_room):
    alice, bob, boss = [
        await database_sync_to_async(person_new)(name, is_staff=name == "boss")
        for name in ("alice", "bob", "boss")
    ]
    room = await Room.objects.acreate(name="secret", kind=Room.Kind.PRIVATE)
    await Membership.objects.acreate(room=room, user=alice)
    await database_sync_to_async(group_create)(name="outsiders", members=["bob"], by=boss)
    tab = await connect_room("secret", session=await user_session(alice))
    frame = await tab.post("@outsiders nothing for you")
    assert "mentions" not in frame
    assert not await Mention.objects.aexists()


def test_at_all_over_http_asks_for_confirmation_too(alice, settings):
    settings.CHAT_BROADCAST_CONFIRM = 1
    room = Room.objects.create(name="design")
    for name in ("p1", "p2"):
        Membership.objects.create(room=room, user=person_new(name))
    path = "/api/rooms/design/messages/"
    refused = api(client_of(alice), "post", path, {"message": "@all ship", "nonce": "h1"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "confirm_required" and refused.json()["people"] == 2
    sent = api(client_of(alice), "post", path, {"message": "@all ship", "nonce": "h1",
                                                 "confirm": True})  # fmt: skip
    assert sent.status_code == 201 and sent.json()["mentions"] == ["all"]


def test_an_avatar_of_a_name_without_an_account_is_its_initials(alice):
    response = client_of(alice).get("/avatars/guest-1234/64/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert b">G</text>" in response.content
