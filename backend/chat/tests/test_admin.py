import pytest
from django.db import connection

from chat.identity import Identity
from chat.models import Message, Room
from chat.services import ActionRefused
from chat.services.storing import message_store

pytestmark = pytest.mark.django_db


def _post(room: str, author: str, text: str) -> None:
    message_store(
        room_name=room, identity=Identity(f"guest:{author}", author, True), text=text, nonce=None
    )


@pytest.mark.parametrize(
    ("query", "found", "not_found"),
    [
        ("kitchen", "recipe", ["hello", "spoon"]),
        ("zoë", "hello", ["recipe", "spoon"]),
        ("spoon", "spoon", ["recipe", "hello"]),
    ],
)
def test_staff_search_messages_by_room_author_and_text(staff_client, query, found, not_found):
    _post("kitchen", "chef", "recipe")
    _post("lobby", "zoë", "hello")
    _post("lobby", "max", "a spoon")
    body = staff_client.get("/admin/chat/message/", {"q": query}).content.decode()
    assert found in body
    for text in not_found:
        assert text not in body


def test_staff_see_rooms_in_the_admin(staff_client):
    _post("kitchen", "chef", "recipe")
    body = staff_client.get("/admin/chat/room/", {"q": "kit"}).content.decode()
    assert "kitchen" in body


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_runs_in_wal_mode():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_the_admin_delete_action_marks_messages_deleted(staff_client):
    _post("lobby", "troll", "spam")
    _post("lobby", "friend", "kind words")
    spam = Message.objects.get(body="spam")
    response = staff_client.post(
        "/admin/chat/message/",
        {"action": "delete_for_everyone", "_selected_action": [spam.pk]},
    )
    assert response.status_code == 302
    spam.refresh_from_db()
    assert spam.deleted_at is not None and spam.body == ""
    assert Message.objects.get(body="kind words").deleted_at is None


def test_staff_can_mute_from_the_admin(staff_client):
    _post("lobby", "troll", "spam")
    room = Room.objects.get(name="lobby")
    response = staff_client.post(
        "/admin/chat/mute/add/",
        {
            "room": room.pk,
            "sender_key": "guest:troll",
            "name": "troll",
            "until_0": "2099-01-01",
            "until_1": "00:00:00",
        },
    )
    assert response.status_code == 302
    with pytest.raises(ActionRefused, match="muted you"):
        _post("lobby", "troll", "more spam")


def test_staff_see_a_rooms_members_and_invitations(staff_client):
    from chat.services.rooms import invitation_create, room_create
    from chat.tests.membership import person_new

    owner = person_new("olga")
    room = room_create(user=owner, name="plans", private=True)
    invitation_create(room=room, by=owner)
    body = staff_client.get(f"/admin/chat/room/{room.pk}/change/").content.decode()
    assert "olga" in body
    assert "invitations-0-expires" in body


def test_a_room_is_not_turned_into_a_dm_in_the_admin():
    from django.core.exceptions import ValidationError

    room = Room.objects.create(name="plain")
    room.kind = Room.Kind.DM
    with pytest.raises(ValidationError) as refused:
        room.full_clean()
    assert "kind" in refused.value.message_dict
