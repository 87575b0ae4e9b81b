"""A room's seqs are never handed out twice: a room with messages can't be deleted (a room
re-created under its name would number from 1 again, and open tabs would skip messages)."""

import pytest
from django.db.models import ProtectedError

from chat.identity import Identity
from chat.models import Message, Room
from chat.services.storing import message_store

pytestmark = pytest.mark.django_db


def _post(room: str, text: str) -> int:
    identity = Identity("guest:author", "author", True)
    message, _ = message_store(room_name=room, identity=identity, text=text, nonce=None)
    return message.seq


def _room_with_five_messages() -> Room:
    for n in range(1, 6):
        _post("kitchen", f"message {n}")
    return Room.objects.get(name="kitchen")


def test_the_admin_refuses_to_delete_a_room_with_messages(staff_client):
    room = _room_with_five_messages()
    url = f"/admin/chat/room/{room.pk}/delete/"
    assert staff_client.get(url).status_code == 403
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert Room.objects.get(pk=room.pk).last_seq == 5
    assert Message.objects.filter(room=room).count() == 5


def test_the_admin_offers_no_bulk_delete_of_rooms(staff_client):
    room = _room_with_five_messages()
    response = staff_client.post(
        "/admin/chat/room/",
        {"action": "delete_selected", "_selected_action": [room.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert Room.objects.filter(pk=room.pk).exists()
    assert "delete_selected" not in staff_client.get("/admin/chat/room/").content.decode()


def test_a_room_that_never_had_messages_can_still_be_deleted(staff_client):
    room = Room.objects.create(name="empty")
    response = staff_client.post(f"/admin/chat/room/{room.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Room.objects.filter(pk=room.pk).exists()


def test_a_room_with_messages_cannot_be_deleted_from_code_either():
    room = _room_with_five_messages()
    with pytest.raises(ProtectedError):
        room.delete()


def test_after_a_refused_deletion_new_messages_follow_on_from_the_last_seq(staff_client):
    room = _room_with_five_messages()
    staff_client.post(f"/admin/chat/room/{room.pk}/delete/", {"post": "yes"})
    assert [_post("kitchen", f"new {n}") for n in range(7)] == [6, 7, 8, 9, 10, 11, 12]
