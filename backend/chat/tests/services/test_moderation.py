"""Deleting messages and muting people."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from chat.models import Message, Mute
from chat.tests.helpers import guest_session, user_session

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def staff_session_user():
    return get_user_model().objects.create_user(
        username="mod", password="pw-for-tests-1", is_staff=True
    )


@database_sync_to_async
def stored(room: str) -> list[tuple[int, str, bool]]:
    return [
        (m.seq, m.body, m.deleted_at is not None)
        for m in Message.objects.filter(room__name=room).order_by("seq")
    ]


async def alice_posts_to_bob(connect_room, room: str, text: str):
    """Alice and Bob in ``room``; Alice posts ``text`` and Bob receives it."""
    alice = await connect_room(room, session=await guest_session("alice"))
    bob = await connect_room(room, session=await guest_session("bob"))
    ack = await alice.post(text)
    await bob.receive()
    return alice, bob, ack


async def test_an_author_deletes_their_message_for_everyone(connect_room):
    alice, bob, ack = await alice_posts_to_bob(connect_room, "del", "oops")
    await alice.send({"type": "delete", "seq": ack["seq"]})
    assert await alice.receive() == {"type": "delete", "seq": ack["seq"]}
    assert await bob.receive() == {"type": "delete", "seq": ack["seq"]}
    assert await stored("del") == [(1, "", True)]


async def test_deleting_a_deleted_message_again_tells_no_one(connect_room):
    alice, bob, ack = await alice_posts_to_bob(connect_room, "del-again", "oops")
    for _ in range(3):
        await alice.send({"type": "delete", "seq": ack["seq"]})
    for member in (alice, bob):
        assert await member.receive() == {"type": "delete", "seq": ack["seq"]}
        assert await member.receive_nothing()
    assert await stored("del-again") == [(1, "", True)]


async def test_others_cannot_delete_a_message(connect_room):
    alice, bob, ack = await alice_posts_to_bob(connect_room, "del-no", "mine")
    await bob.send({"type": "delete", "seq": ack["seq"]})
    assert (await bob.receive())["code"] == "forbidden"
    assert await alice.receive_nothing()
    assert await stored("del-no") == [(1, "mine", False)]


async def test_staff_can_delete_any_message(connect_room):
    alice = await connect_room("del-staff", session=await guest_session("alice"))
    moderator = await connect_room(
        "del-staff", session=await user_session(await staff_session_user())
    )
    assert moderator.identity["staff"] is True
    ack = await alice.post("spam")
    await moderator.receive()
    await moderator.send({"type": "delete", "seq": ack["seq"]})
    assert await alice.receive() == {"type": "delete", "seq": 1}


async def test_a_deleted_message_is_never_replayed_with_its_text(connect_room):
    alice = await connect_room("del-replay", session=await guest_session("alice"))
    await alice.post("keep")
    gone = await alice.post("gone")
    await alice.post("keep too")
    await alice.send({"type": "delete", "seq": gone["seq"]})
    await alice.receive()
    for query in ("", "after=0"):
        later = await connect_room("del-replay", query=query)
        assert [(f["seq"], f["message"], f.get("deleted", False)) for f in later.history] == [
            (1, "keep", False),
            (2, "", True),
            (3, "keep too", False),
        ]


async def test_deleting_an_unknown_message_is_an_error(connect_room):
    alice = await connect_room("del-unknown")
    await alice.send({"type": "delete", "seq": 99})
    assert (await alice.receive())["code"] == "unknown_message"


async def test_staff_mute_stops_a_person_posting_in_that_room(connect_room):
    troll_session = await guest_session("troll")
    troll = await connect_room("mute", session=troll_session)
    moderator = await connect_room("mute", session=await user_session(await staff_session_user()))
    ack = await troll.post("annoying")
    await moderator.receive()
    await moderator.send({"type": "mute", "seq": ack["seq"], "minutes": 10})
    confirmation = await moderator.receive()
    assert (confirmation["type"], confirmation["user"]) == ("mute", "troll")
    await troll.send({"message": "more"})
    error = await troll.receive()
    assert error["code"] == "muted"
    assert 590 < error["retry_after"] <= 600
    assert await moderator.receive_nothing()
    assert await stored("mute") == [(1, "annoying", False)]
    elsewhere = await connect_room("other-room", session=troll_session)
    assert (await elsewhere.post("fine here"))["message"] == "fine here"


async def test_a_mute_ends_when_its_time_is_up(connect_room):
    troll = await connect_room("mute-end", session=await guest_session("troll"))
    moderator = await connect_room(
        "mute-end", session=await user_session(await staff_session_user())
    )
    ack = await troll.post("annoying")
    await moderator.send({"type": "mute", "seq": ack["seq"], "minutes": 1})
    assert (await moderator.receive(kinds={"mute"}))["user"] == "troll"
    await database_sync_to_async(
        lambda: Mute.objects.update(until=timezone.now() - timedelta(seconds=1))
    )()
    assert (await troll.post("I'm back"))["seq"] == 2


async def test_only_staff_can_mute(connect_room):
    alice = await connect_room("mute-no", session=await guest_session("alice"))
    bob = await connect_room("mute-no", session=await guest_session("bob"))
    ack = await alice.post("hi")
    await bob.send({"type": "mute", "seq": ack["seq"], "minutes": 10})
    assert (await bob.receive(kinds={"error"}))["code"] == "forbidden"
    assert await database_sync_to_async(Mute.objects.count)() == 0


@pytest.mark.parametrize("minutes", [0, 100_000])
async def test_mute_minutes_must_be_sensible(connect_room, minutes):
    alice = await connect_room("mute-bad", session=await guest_session("alice"))
    moderator = await connect_room(
        "mute-bad", session=await user_session(await staff_session_user())
    )
    ack = await alice.post("hi")
    await moderator.send({"type": "mute", "seq": ack["seq"], "minutes": minutes})
    assert (await moderator.receive(kinds={"error"}))["code"] == "invalid_minutes"


@database_sync_to_async
def _admin_post(path: str, data: dict):
    staff = get_user_model().objects.create_user(
        username="admin", password=None, is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(staff)
    return client.post(path, data, follow=True)


@database_sync_to_async
def _message_pk(room: str, seq: int) -> int:
    return Message.objects.get(room__name=room, seq=seq).pk


async def test_djangos_delete_selected_in_the_admin_deletes_live_and_keeps_the_seq(connect_room):
    alice, bob, ack = await alice_posts_to_bob(connect_room, "del-admin", "spam")
    pk = await _message_pk("del-admin", ack["seq"])
    response = await _admin_post(
        "/admin/chat/message/",
        {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
    )
    assert "1 message deleted for everyone" in response.content.decode()
    for tab in (alice, bob):
        assert await tab.receive() == {"type": "delete", "seq": ack["seq"]}
    assert await stored("del-admin") == [(1, "", True)]


async def test_the_admins_delete_button_deletes_live_and_keeps_the_seq(connect_room):
    _, bob, ack = await alice_posts_to_bob(connect_room, "del-admin-one", "spam")
    pk = await _message_pk("del-admin-one", ack["seq"])
    response = await _admin_post(f"/admin/chat/message/{pk}/delete/", {"post": "yes"})
    assert "1 message deleted for everyone" in response.content.decode()
    assert await bob.receive() == {"type": "delete", "seq": ack["seq"]}
    assert await stored("del-admin-one") == [(1, "", True)]
