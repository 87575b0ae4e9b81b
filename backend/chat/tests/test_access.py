"""Who may read which room, everywhere a room is read: its page, the WebSocket, history,
the directory and the API. Public rooms are open to all; a private room or a direct
message only to its members, staff included (they manage members in the admin)."""

import html
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from channels.db import database_sync_to_async

from chat.models import Room
from chat.tests.helpers import HOST, ORIGIN, ChatClient, session_cookie, user_session
from chat.tests.membership import (
    client_of,
    dm_room,
    error_code,
    frames_until_close,
    guest_session_key,
    person_new,
    post,
    private_room,
    room_listed,
)

pytestmark = pytest.mark.django_db

WHO = ["visitor", "guest", "member", "non_member", "staff"]
KINDS = ["public", "private", "dm"]
MATRIX = [(who, kind) for who in WHO for kind in KINDS]


def allowed(who: str, kind: str) -> bool:
    return kind == "public" or who == "member"


def forbidden_reason(who: str, kind: str) -> str:
    if kind == "dm":
        return "only by their two people"
    if who in ("visitor", "guest"):
        return "sign in as one of its members"
    return "only its members can read it"


@pytest.fixture
def world():
    """Alice owns the private room "secret", Bob is its member and has a DM with her;
    Carol is signed up and a member of neither, and so is the staff user."""
    alice, bob = person_new("alice"), person_new("bob")
    people = {
        "member": bob,
        "non_member": person_new("carol"),
        "staff": person_new("moderator", is_staff=True, is_superuser=True),
    }
    rooms = {
        "public": Room.objects.create(name="lobby"),
        "private": private_room("secret", alice, bob),
        "dm": dm_room(alice, bob),
    }
    for room in rooms.values():
        post(room.name, alice, f"first words in {room.name}")
    return SimpleNamespace(alice=alice, people=people, rooms=rooms)


def client_as(world, who: str):
    if who == "visitor":
        return client_of()
    if who == "guest":
        return client_of(guest=True)
    return client_of(world.people[who])


@pytest.mark.parametrize(("who", "kind"), MATRIX)
def test_the_room_page_opens_or_says_why_not(world, who, kind):
    response = client_as(world, who).get(f"/chat/{world.rooms[kind].name}/")
    if allowed(who, kind):
        assert response.status_code == 200
        assert "chat/room.html" in [t.name for t in response.templates]
    else:
        assert response.status_code == 403
        reason = html.unescape(response.content.decode())
        assert forbidden_reason(who, kind) in reason


@pytest.mark.parametrize(("who", "kind"), MATRIX)
def test_history_over_http_is_served_or_refused(world, who, kind):
    response = client_as(world, who).get(f"/chat/{world.rooms[kind].name}/messages/")
    if allowed(who, kind):
        assert response.status_code == 200
        assert [m["seq"] for m in response.json()["messages"]] == [1]
    else:
        assert response.status_code == 403
        assert error_code(response) == "forbidden"
        assert "messages" not in response.json()


@pytest.mark.parametrize(("who", "kind"), MATRIX)
def test_the_api_room_is_answered_or_refused(world, who, kind):
    room = world.rooms[kind]
    response = client_as(world, who).get(f"/api/rooms/{room.name}/")
    if allowed(who, kind):
        assert response.status_code == 200
        assert response.json()["name"] == room.name
        assert response.json()["kind"] == kind
    else:
        assert response.status_code == 403
        assert error_code(response) == "forbidden"


@pytest.mark.parametrize(("who", "kind"), MATRIX)
def test_the_members_list_is_answered_or_refused(world, who, kind):
    """A public room's too: who keeps it is for signed-in people, not visitors or guests."""
    response = client_as(world, who).get(f"/api/rooms/{world.rooms[kind].name}/members/")
    if allowed(who, kind) and not (kind == "public" and who in ("visitor", "guest")):
        assert response.status_code == 200
        assert "members" in response.json()
    elif allowed(who, kind):
        assert response.status_code == 401
        assert error_code(response) == "sign_in_required"
    else:
        assert response.status_code == 403
        assert error_code(response) == "forbidden"


def test_the_members_of_a_private_room_are_listed_for_its_members(world):
    response = client_of(world.people["member"]).get("/api/rooms/secret/members/")
    assert response.json() == {
        "members": [
            {"username": "alice", "owner": True, "display_name": ""},
            {"username": "bob", "owner": False, "display_name": ""},
        ]
    }


@pytest.mark.parametrize("who", WHO)
def test_the_directory_lists_private_rooms_and_dms_only_to_their_members(world, who):
    client = client_as(world, who)
    assert room_listed(client, "lobby") is not None
    for kind in ("private", "dm"):
        listed = room_listed(client, world.rooms[kind].name)
        assert (listed is not None) == (who == "member"), kind


def test_the_directory_gives_a_member_their_counts(world):
    for kind in ("private", "dm"):
        listed = room_listed(client_of(world.people["member"]), world.rooms[kind].name)
        assert (listed["unread"], listed["mentions"], listed["last_read"]) == (1, 0, 0)
        assert listed["member"] is True and listed["private"] is True


@pytest.mark.parametrize("who", WHO)
def test_the_directory_gives_a_non_member_of_a_public_room_no_counts(world, who):
    listed = room_listed(client_as(world, who), "lobby")
    assert (listed["unread"], listed["mentions"], listed["last_read"]) == (0, 0, None)


def test_a_dm_is_titled_with_the_other_persons_name(world):
    listed = room_listed(client_of(world.people["member"]), world.rooms["dm"].name)
    assert (listed["title"], listed["dm_with"]) == ("alice", "alice")


def test_a_free_dm_name_is_refused_everywhere():
    client = client_of(person_new("dora"))
    assert client.get("/chat/dm-98-99/").status_code == 403
    assert client.get("/chat/dm-98-99/messages/").status_code == 403
    response = client.get("/api/rooms/dm-98-99/")
    assert (response.status_code, error_code(response)) == (403, "forbidden")


def test_an_existing_dm_and_a_free_dm_name_are_refused_alike(world):
    client = client_of(world.people["non_member"])
    existing = client.get(f"/api/rooms/{world.rooms['dm'].name}/").json()
    free = client.get("/api/rooms/dm-98-99/").json()
    assert existing == free


# --- the WebSocket ----------------------------------------------------------------------


async def _session_of(world, who: str) -> str | None:
    if who == "visitor":
        return None
    if who == "guest":
        return await database_sync_to_async(guest_session_key)()
    return await user_session(world.people[who])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("who", "kind"), MATRIX)
async def test_the_handshake_admits_or_closes_with_4403(world, connect_room, who, kind):
    room_name = world.rooms[kind].name
    # Someone who may read the room is in it, typing: a refused connection sees none of it.
    alice = await connect_room(room_name, session=await user_session(world.alice))
    session = await _session_of(world, who)
    headers = [ORIGIN, HOST] + ([session_cookie(session)] if session else [])
    client = ChatClient(f"/ws/chat/{quote(room_name)}/", headers)
    connected, _ = await client.connect()
    assert connected
    if allowed(who, kind):
        await client.read_until_ready()
        assert [m["seq"] for m in client.history] == [1]
        presence = await client.receive(kinds={"presence"})
        assert "alice" in [person["user"] for person in presence["users"]]
        await client.close()
        return
    await alice.send({"type": "typing"})
    await alice.post("still private?")
    frames, code = await frames_until_close(client)
    assert [frame["type"] for frame in frames] == ["error"]
    assert frames[0]["code"] == "forbidden"
    assert forbidden_reason(who, kind) in frames[0]["detail"]
    assert code == 4403
    assert await client.communicator.receive_nothing(timeout=0.2)
    # Nor did the room see them come in.
    assert await alice.receive_nothing(timeout=0.2, kinds={"join", "presence"})
