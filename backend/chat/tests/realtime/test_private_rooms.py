"""Private rooms over the WebSocket: members removed are closed at once, a person's tabs
hear of activity and read marks in their rooms, and nobody else does."""

import json

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from chat.models import Membership, Mention, Room
from chat.tests.helpers import guest_session, user_session
from chat.tests.membership import frames_until_close, person_id, person_new, private_room

pytestmark = pytest.mark.django_db(transaction=True)

SIDEBAR = {"activity", "read", "rooms"}


@pytest.fixture
def people():
    """Alice owns the private room "secret", Bob is its member, Carol is not."""
    alice, bob, carol = person_new("alice"), person_new("bob"), person_new("carol")
    private_room("secret", alice, bob)
    return alice, bob, carol


async def api_client(user) -> AsyncClient:
    client = AsyncClient()
    await client.aforce_login(user)
    return client


async def api_post(client: AsyncClient, path: str, body: dict):
    return await client.post(path, json.dumps(body), content_type="application/json")


async def listed(client: AsyncClient, name: str) -> dict:
    response = await client.get("/api/rooms/")
    return next(room for room in response.json()["rooms"] if room["name"] == name)


# --- removal ------------------------------------------------------------------------------


async def test_a_removed_member_is_sent_forbidden_and_closed_with_4403(people, connect_room):
    alice, bob, _ = people
    bobs_tab = await connect_room("secret", session=await user_session(bob))
    response = await (await api_client(alice)).delete("/api/rooms/secret/members/bob/")
    assert response.status_code == 204
    frames, code = await frames_until_close(bobs_tab)
    errors = [frame for frame in frames if frame["type"] == "error"]
    assert [error["code"] for error in errors] == ["forbidden"]
    assert code == 4403


async def test_a_removed_members_connection_to_a_public_room_stays_open(people, connect_room):
    alice, bob, _ = people
    session = await user_session(bob)
    await connect_room("secret", session=session)
    lobby_tab = await connect_room("lobby", session=session)
    await (await api_client(alice)).delete("/api/rooms/secret/members/bob/")
    assert await lobby_tab.receive(kinds={"rooms"}) == {"type": "rooms"}
    assert (await lobby_tab.post("still here"))["message"] == "still here"


async def test_someone_leaving_leaves_the_others_connected(people, connect_room):
    alice, bob, _ = people
    alices_tab = await connect_room("secret", session=await user_session(alice))
    bobs_tab = await connect_room("secret", session=await user_session(bob))
    response = await (await api_client(bob)).delete("/api/rooms/secret/members/bob/")
    assert response.status_code == 204
    _, code = await frames_until_close(bobs_tab)
    assert code == 4403
    assert (await alices_tab.post("alone now"))["seq"] == 1


async def test_a_private_room_made_where_a_guest_is_connected_closes_the_guest(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    guest = await connect_room("plans", session=await guest_session("early-bird"))
    response = await api_post(
        await api_client(alice), "/api/rooms/", {"name": "plans", "private": True}
    )
    assert response.status_code == 201
    frames, code = await frames_until_close(guest)
    assert [f["code"] for f in frames if f["type"] == "error"] == ["forbidden"]
    assert code == 4403


async def test_someone_added_to_a_private_room_gets_a_rooms_frame(people, connect_room):
    alice, _, carol = people
    carols_tab = await connect_room("lobby", session=await user_session(carol))
    response = await api_post(
        await api_client(alice), "/api/rooms/secret/members/", {"username": "carol"}
    )
    assert response.status_code == 201
    assert await carols_tab.receive(kinds={"rooms"}) == {"type": "rooms"}


# --- activity and read marks across a person's tabs ------------------------------------------


async def _tabs_in_secret_and_lobby(person, connect_room) -> list:
    """Two tabs of one person: one in the private room, one in a public room."""
    session = await user_session(person)
    return [
        await connect_room("secret", session=session),
        await connect_room("lobby", session=session),
    ]


async def test_each_tab_of_a_member_gets_activity_for_a_new_message(people, connect_room):
    alice, bob, _ = people
    tabs = await _tabs_in_secret_and_lobby(alice, connect_room)
    bobs_tab = await connect_room("secret", session=await user_session(bob))
    await bobs_tab.post("first")
    await bobs_tab.post("second")
    for tab in tabs:
        activity = await tab.until(lambda f: f["type"] == "activity" and f["seq"] == 2)
        assert activity["room"] == "secret"
        assert (activity["from"], activity["text"]) == ("bob", "second")
        assert (activity["mention"], activity["dm"]) == (False, False)


async def test_a_read_mark_reaches_every_tab_of_the_reader(people, connect_room):
    alice, bob, _ = people
    tabs = await _tabs_in_secret_and_lobby(alice, connect_room)
    bobs_tab = await connect_room("secret", session=await user_session(bob))
    await bobs_tab.post("read me")
    response = await api_post(await api_client(alice), "/api/rooms/secret/read/", {"seq": 1})
    assert response.status_code == 200
    for tab in tabs:
        assert await tab.receive(kinds={"read"}) == {"type": "read", "room": "secret", "seq": 1}


async def test_a_read_mark_is_not_sent_to_other_people(people, connect_room):
    alice, bob, _ = people
    bobs_tab = await connect_room("secret", session=await user_session(bob))
    await bobs_tab.post("read me")
    await api_post(await api_client(alice), "/api/rooms/secret/read/", {"seq": 1})
    assert await bobs_tab.receive_nothing(timeout=0.3, kinds={"read"})


async def test_unread_drops_to_zero_once_read(people, connect_room):
    alice, bob, _ = people
    bobs_tab = await connect_room("secret", session=await user_session(bob))
    await bobs_tab.post("one")
    await bobs_tab.post("two")
    client = await api_client(alice)
    assert (await listed(client, "secret"))["unread"] == 2
    await api_post(client, "/api/rooms/secret/read/", {"seq": 2})
    room = await listed(client, "secret")
    assert (room["unread"], room["last_read"]) == (0, 2)


# --- mentions ---------------------------------------------------------------------------------


async def test_a_mention_of_a_member_is_in_the_message_frame(people, connect_room):
    alice, bob, _ = people
    alices_tab = await connect_room("secret", session=await user_session(alice))
    ack = await alices_tab.post("@bob hi")
    assert ack["mentions"] == [person_id(bob)]


async def test_a_mention_marks_the_mentioned_persons_activity(people, connect_room):
    alice, bob, _ = people
    bobs_tab = await connect_room("lobby", session=await user_session(bob))
    alices_tab = await connect_room("secret", session=await user_session(alice))
    await alices_tab.post("@bob hi")
    activity = await bobs_tab.receive(kinds={"activity"})
    assert (activity["room"], activity["mention"]) == ("secret", True)


async def test_the_author_s_own_activity_is_not_marked_as_a_mention(people, connect_room):
    alice, _, _ = people
    alices_tab = await connect_room("secret", session=await user_session(alice))
    await alices_tab.post("@bob hi")
    activity = await alices_tab.receive(kinds={"activity"})
    assert activity["mention"] is False


async def test_a_mention_raises_the_mentioned_persons_count(people, connect_room):
    alice, bob, _ = people
    alices_tab = await connect_room("secret", session=await user_session(alice))
    await alices_tab.post("@bob hi")
    room = await listed(await api_client(bob), "secret")
    assert (room["unread"], room["mentions"]) == (1, 1)
    assert await database_sync_to_async(Mention.objects.filter(user=bob).count)() == 1


# --- nothing leaks ------------------------------------------------------------------------------


async def test_a_non_member_gets_no_activity_of_a_private_room(people, connect_room):
    alice, _, carol = people
    await database_sync_to_async(private_room)("carols", carol)
    carols_tab = await connect_room("lobby", session=await user_session(carol))
    alices_tab = await connect_room("secret", session=await user_session(alice))
    await alices_tab.post("@carol nobody else may read this")
    await alices_tab.receive(kinds={"activity"})  # the notice went out
    # Carol's tab does get the activity of her own room, which comes after.
    carols_own = await connect_room("carols", session=await user_session(carol))
    await carols_own.post("mine")
    activity = await carols_tab.receive(kinds={"activity"})
    assert activity["room"] == "carols"
    assert not [f for f in carols_tab.frames if f["type"] == "activity" and f["room"] == "secret"]


def _member_of(room_name: str, user) -> None:
    room, _ = Room.objects.get_or_create(name=room_name)
    Membership.objects.create(room=room, user=user)


async def test_a_guest_gets_no_activity_at_all(people, connect_room):
    alice, _, _ = people
    await database_sync_to_async(_member_of)("lobby", alice)
    guests_tab = await connect_room("lobby", session=await guest_session("visitor"))
    alices_tab = await connect_room("lobby", session=await user_session(alice))
    await alices_tab.post("hello lobby")
    assert (await alices_tab.receive(kinds={"activity"}))["room"] == "lobby"
    assert await guests_tab.receive_nothing(timeout=0.3, kinds=SIDEBAR)
