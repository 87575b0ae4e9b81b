"""Pins for a room and messages saved for oneself (docs/api.md, docs/protocol.md): the
limits, the live ``pins`` event, the line pinning writes, and access."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Message, Pin
from chat.services.moderation import message_delete_store
from chat.services.pins import PINS_MAX
from chat.tests.helpers import user_session
from chat.tests.membership import (
    api,
    client_of,
    error_code,
    identity,
    person_new,
    post,
    private_room,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _pin(user, room: str, seq: int):
    return api(client_of(user), "post", f"/api/rooms/{room}/pins/", {"seq": seq})


def _pins(user, room: str):
    return api(client_of(user), "get", f"/api/rooms/{room}/pins/")


def _save(user, room: str, seq: int):
    return api(client_of(user), "post", "/api/me/saved/", {"room": room, "seq": seq})


def _saved(user) -> list[dict]:
    return api(client_of(user), "get", "/api/me/saved/").json()["saved"]


# --- pins -----------------------------------------------------------------------------


def test_a_member_pins_a_message_and_everyone_lists_it(alice, bob, secret):
    message = post("secret", alice, "the plan: **ship** friday")
    response = _pin(bob, "secret", message.seq)
    assert response.status_code == 201
    pin = response.json()
    assert pin["seq"] == message.seq and pin["pinned_by"] == "bob"
    assert pin["message"]["message"] == "the plan: **ship** friday"
    listed = _pins(alice, "secret").json()["pins"]
    assert [p["seq"] for p in listed] == [message.seq]


def test_pinning_writes_a_line_in_the_room_replying_to_the_pinned_message(alice, bob, secret):
    message = post("secret", alice, "decision")
    _pin(bob, "secret", message.seq)
    line = Message.objects.get(room__name="secret", seq=message.seq + 1)
    assert line.system == "pinned" and line.author_name == "bob"
    assert line.reply_to_id == message.pk
    history = client_of(alice).get("/chat/secret/messages/").json()["messages"]
    assert history[-1]["system"] == "pinned" and history[-1]["reply_to"]["seq"] == message.seq


def test_pinning_a_pinned_message_again_changes_nothing(alice, bob, secret):
    message = post("secret", alice, "once")
    _pin(bob, "secret", message.seq)
    again = _pin(alice, "secret", message.seq)
    assert again.status_code == 200
    assert Pin.objects.count() == 1
    assert Message.objects.filter(room__name="secret", system="pinned").count() == 1


def test_a_room_has_at_most_fifty_pins(alice, bob, secret):
    seqs = [post("secret", alice, f"m{n}").seq for n in range(PINS_MAX + 1)]
    for seq in seqs[:PINS_MAX]:
        assert _pin(alice, "secret", seq).status_code == 201
    refused = _pin(alice, "secret", seqs[-1])
    assert refused.status_code == 409 and error_code(refused) == "too_many_pins"
    assert Pin.objects.count() == PINS_MAX


def test_a_deleted_or_missing_message_is_not_pinned(alice, bob, secret):
    message = post("secret", alice, "oops")
    message_delete_store(room_name="secret", seq=message.seq, identity=identity(alice))
    for seq in (message.seq, 999):
        refused = _pin(alice, "secret", seq)
        assert refused.status_code == 400 and error_code(refused) == "unknown_message"
    assert not Pin.objects.exists()


def test_a_pinned_message_deleted_later_leaves_the_pins(alice, bob, secret):
    message = post("secret", alice, "soon gone")
    _pin(alice, "secret", message.seq)
    message_delete_store(room_name="secret", seq=message.seq, identity=identity(alice))
    assert _pins(bob, "secret").json()["pins"] == []


def test_unpinning_removes_it_and_an_unknown_pin_is_a_404(alice, bob, secret):
    message = post("secret", alice, "temporary")
    _pin(alice, "secret", message.seq)
    gone = api(client_of(bob), "delete", f"/api/rooms/secret/pins/{message.seq}/")
    assert gone.status_code == 204 and not Pin.objects.exists()
    again = api(client_of(bob), "delete", f"/api/rooms/secret/pins/{message.seq}/")
    assert again.status_code == 404 and error_code(again) == "unknown_pin"


def test_someone_outside_a_private_room_neither_pins_nor_sees_its_pins(alice, bob, secret):
    message = post("secret", alice, "members only")
    _pin(alice, "secret", message.seq)
    carol = person_new("carol")
    assert _pin(carol, "secret", message.seq).status_code == 403
    assert _pins(carol, "secret").status_code == 403
    assert api(client_of(), "get", "/api/rooms/secret/pins/").status_code == 401


def test_an_archived_rooms_pins_stay_but_do_not_change(alice, bob, secret):
    first, second = post("secret", alice, "a"), post("secret", alice, "b")
    _pin(alice, "secret", first.seq)
    api(client_of(alice), "post", "/api/rooms/secret/archive/")
    assert error_code(_pin(alice, "secret", second.seq)) == "room_archived"
    assert [p["seq"] for p in _pins(bob, "secret").json()["pins"]] == [first.seq]


async def test_a_pin_reaches_open_pages_live(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    await database_sync_to_async(private_room)("plans", alice)
    tab = await connect_room("plans", session=await user_session(alice))
    frame = await tab.post("pin me")
    await database_sync_to_async(_pin)(alice, "plans", frame["seq"])
    pins = await tab.until(lambda f: f["type"] == "pins", timeout=5)
    assert [p["seq"] for p in pins["pins"]] == [frame["seq"]]
    line = await tab.until(lambda f: f["type"] == "message" and f.get("system"), timeout=5)
    assert line["system"] == "pinned" and line["reply_to"]["seq"] == frame["seq"]


# --- saved ----------------------------------------------------------------------------


def test_a_saved_message_is_listed_newest_first(alice, bob, secret):
    first, second = post("secret", bob, "read later"), post("secret", bob, "and this")
    assert _save(alice, "secret", first.seq).status_code == 201
    assert _save(alice, "secret", second.seq).status_code == 201
    assert _save(alice, "secret", second.seq).status_code == 200  # already saved
    listed = _saved(alice)
    assert [(s["room"], s["seq"]) for s in listed] == [("secret", 2), ("secret", 1)]
    assert listed[0]["message"]["message"] == "and this"
    assert _saved(bob) == []  # one's own


def test_a_saved_message_from_a_room_one_lost_is_no_longer_shown(alice, bob, secret):
    message = post("secret", alice, "private thought")
    _save(bob, "secret", message.seq)
    api(client_of(alice), "delete", "/api/rooms/secret/members/bob/")
    assert _saved(bob) == []


def test_a_deleted_message_is_neither_saved_nor_shown(alice, bob, secret):
    kept, gone = post("secret", alice, "kept"), post("secret", alice, "gone")
    _save(bob, "secret", kept.seq)
    message_delete_store(room_name="secret", seq=kept.seq, identity=identity(alice))
    message_delete_store(room_name="secret", seq=gone.seq, identity=identity(alice))
    assert _saved(bob) == []
    refused = _save(bob, "secret", gone.seq)
    assert refused.status_code == 400 and error_code(refused) == "unknown_message"


def test_saving_in_a_room_one_may_not_read_is_refused(alice, bob, secret):
    message = post("secret", alice, "not for carol")
    carol = person_new("carol")
    assert _save(carol, "secret", message.seq).status_code == 403


def test_unsaving_removes_it(alice, bob, secret):
    message = post("secret", alice, "for a while")
    _save(bob, "secret", message.seq)
    assert api(client_of(bob), "delete", f"/api/me/saved/secret/{message.seq}/").status_code == 204
    assert _saved(bob) == []
    again = api(client_of(bob), "delete", f"/api/me/saved/secret/{message.seq}/")
    assert again.status_code == 404 and error_code(again) == "unknown_saved"
