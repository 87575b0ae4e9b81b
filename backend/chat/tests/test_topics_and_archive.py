"""A room's topic and description, and archiving a room (docs/api.md, docs/protocol.md):
who may change them, the live ``room`` event, and what an archived room refuses."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Message, Room
from chat.services import ActionRefused
from chat.services.editing import message_edit_store
from chat.services.reactions import reaction_toggle_store
from chat.tests.helpers import user_session
from chat.tests.membership import (
    api,
    client_of,
    dm_room,
    error_code,
    identity,
    person_new,
    post,
    private_room,
    room_listed,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _patch(user, room: str, body: dict):
    return api(client_of(user), "patch", f"/api/rooms/{room}/", body)


def _archive(user, room: str, *, undo: bool = False):
    action = "unarchive" if undo else "archive"
    return api(client_of(user), "post", f"/api/rooms/{room}/{action}/")


# --- topic and description ------------------------------------------------------------


def test_an_owner_sets_the_topic_shown_as_inline_html(alice, bob, secret):
    response = _patch(alice, "secret", {"topic": "**Ship** it <b>now</b>", "description": "Plans"})
    assert response.status_code == 200
    room = response.json()
    assert room["topic"] == "**Ship** it <b>now</b>"
    assert room["topic_html"] == "<strong>Ship</strong> it &lt;b&gt;now&lt;/b&gt;"
    assert room["description"] == "Plans"
    assert room_listed(client_of(bob), "secret")["topic"] == "**Ship** it <b>now</b>"


def test_a_member_who_is_not_an_owner_cannot_set_the_topic(alice, bob, secret):
    response = _patch(bob, "secret", {"topic": "mine now"})
    assert response.status_code == 403 and error_code(response) == "not_owner"
    assert Room.objects.get(name="secret").topic == ""


def test_an_admin_sets_a_public_rooms_topic_and_either_person_a_dms(alice, bob):
    Room.objects.create(name="general")
    assert _patch(alice, "general", {"topic": "hi"}).status_code == 403
    boss = person_new("boss", is_staff=True)
    assert _patch(boss, "general", {"topic": "Company news"}).json()["topic"] == "Company news"
    dm = dm_room(alice, bob)
    assert _patch(bob, dm.name, {"topic": "lunch plans"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"topic": "x" * 251}, "invalid_topic"),
        ({"topic": "two\nlines"}, "invalid_topic"),
        ({"description": "y" * 2001}, "invalid_description"),
    ],
)
def test_a_bad_topic_or_description_is_refused_by_name(alice, bob, secret, body, code):
    response = _patch(alice, "secret", body)
    assert response.status_code == 400 and error_code(response) == code
    room = Room.objects.get(name="secret")
    assert (room.topic, room.description) == ("", "")


async def test_a_new_topic_reaches_open_pages_live(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    await database_sync_to_async(private_room)("plans", alice)
    tab = await connect_room("plans", session=await user_session(alice))
    await database_sync_to_async(_patch)(alice, "plans", {"topic": "Q3 _launch_"})
    frame = await tab.until(lambda f: f["type"] == "room", timeout=5)
    assert frame["room"] == "plans" and frame["topic"] == "Q3 _launch_"
    assert frame["topic_html"] == "Q3 <em>launch</em>" and frame["archived"] is False


# --- archive --------------------------------------------------------------------------


def test_an_owner_archives_a_room_which_stays_readable(alice, bob, secret):
    post("secret", bob, "before the archive")
    response = _archive(alice, "secret")
    assert response.status_code == 200 and response.json()["archived"] is True
    history = client_of(bob).get("/chat/secret/messages/")
    assert [m["message"] for m in history.json()["messages"]] == ["before the archive"]
    assert room_listed(client_of(bob), "secret")["archived"] is True


def test_only_owners_and_admins_archive(alice, bob, secret):
    response = _archive(bob, "secret")
    assert response.status_code == 403 and error_code(response) == "not_owner"
    assert Room.objects.get(name="secret").archived_at is None


def test_a_dm_is_not_archived(alice, bob):
    dm = dm_room(alice, bob)
    response = _archive(alice, dm.name)
    assert response.status_code == 400 and error_code(response) == "not_archivable"


def test_an_archived_public_room_leaves_the_directory(alice):
    post("general", alice, "hello")
    post("random", alice, "hello")
    boss = person_new("boss", is_staff=True)
    _archive(boss, "general")
    listed = [room["name"] for room in api(client_of(), "get", "/api/rooms/").json()["rooms"]]
    assert "random" in listed and "general" not in listed


def test_posting_in_an_archived_room_is_refused_and_stores_nothing(alice, bob, secret):
    _archive(alice, "secret")
    with pytest.raises(ActionRefused) as refused:
        post("secret", bob, "too late")
    assert refused.value.code == "room_archived"
    response = api(client_of(bob), "post", "/api/rooms/secret/messages/", {"message": "too"})
    assert response.status_code == 403 and error_code(response) == "room_archived"
    assert not Message.objects.filter(room__name="secret").exists()


def test_a_room_archived_by_another_process_is_refused_though_cached_here(alice, bob, secret):
    post("secret", bob, "cached now")  # this process keeps the room, not archived
    Room.objects.filter(name="secret").update(archived_at="2026-01-01T00:00:00Z")
    with pytest.raises(ActionRefused) as refused:
        post("secret", bob, "after the archive elsewhere")
    assert refused.value.code == "room_archived"
    assert Message.objects.filter(room__name="secret").count() == 1


def test_an_unarchived_room_takes_posts_again(alice, bob, secret):
    _archive(alice, "secret")
    with pytest.raises(ActionRefused):
        post("secret", bob, "refused")
    assert _archive(alice, "secret", undo=True).json()["archived"] is False
    assert post("secret", bob, "welcome back").seq == 1


def test_editing_and_reacting_in_an_archived_room_are_refused(alice, bob, secret):
    message = post("secret", bob, "done")
    _archive(alice, "secret")
    with pytest.raises(ActionRefused) as edit:
        message_edit_store(room_name="secret", seq=message.seq, identity=identity(bob), text="x")
    with pytest.raises(ActionRefused) as react:
        reaction_toggle_store(
            room_name="secret", seq=message.seq, identity=identity(bob), emoji="👍"
        )
    assert edit.value.code == react.value.code == "room_archived"


async def test_a_post_on_an_open_socket_is_refused_once_archived(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    await database_sync_to_async(private_room)("plans", alice)
    tab = await connect_room("plans", session=await user_session(alice))
    await tab.post("still open")
    await database_sync_to_async(_archive)(alice, "plans")
    frame = await tab.until(lambda f: f["type"] == "room", timeout=5)
    assert frame["archived"] is True
    await tab.send({"message": "after", "nonce": "n-after"})
    error = await tab.until(lambda f: f["type"] == "error", timeout=5)
    assert error["code"] == "room_archived" and error["nonce"] == "n-after"
