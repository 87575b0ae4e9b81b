"""Editing messages: the author within the window, staff any time; the room sees the new
text live, history carries it, and the text it replaced is kept."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import Client, override_settings
from django.utils import timezone

from chat.models import Mention, Message, MessageEdit
from chat.services import ActionRefused
from chat.services.editing import message_edit_store
from chat.services.moderation import message_delete_store
from chat.tests.helpers import guest_session, user_session
from chat.tests.membership import identity, person_new, post

pytestmark = pytest.mark.django_db(transaction=True)


async def _alice_and_bob(connect_room, room: str, text: str = "helo"):
    alice = await connect_room(room, session=await guest_session("alice"))
    bob = await connect_room(room, session=await guest_session("bob"))
    ack = await alice.post(text)
    await bob.receive()
    return alice, bob, ack


@database_sync_to_async
def _stored(room: str, seq: int) -> Message:
    return Message.objects.get(room__name=room, seq=seq)


@database_sync_to_async
def _versions(room: str, seq: int) -> list[str]:
    return list(
        MessageEdit.objects.filter(message__room__name=room, message__seq=seq).values_list(
            "body", flat=True
        )
    )


async def test_an_author_edits_their_message_and_every_tab_gets_the_new_text(connect_room):
    alice, bob, ack = await _alice_and_bob(connect_room, "ed-live")
    await alice.send({"type": "edit", "seq": ack["seq"], "message": "**hello**"})
    for tab in (alice, bob):
        edit = await tab.receive()
        assert edit["type"] == "edit"
        assert (edit["seq"], edit["message"]) == (ack["seq"], "**hello**")
        assert edit["html"] == '<p dir="auto"><strong>hello</strong></p>'
        assert edit["edited_at"]
    message = await _stored("ed-live", ack["seq"])
    assert (message.body, message.seq) == ("**hello**", 1)
    assert await _versions("ed-live", 1) == ["helo"]


async def test_history_and_replays_carry_the_latest_text(connect_room):
    alice, _, ack = await _alice_and_bob(connect_room, "ed-history")
    await alice.send({"type": "edit", "seq": ack["seq"], "message": "hello"})
    await alice.receive()
    later = await connect_room("ed-history", session=await guest_session("carol"))
    [replayed] = later.history
    assert (replayed["message"], replayed["html"]) == ("hello", '<p dir="auto">hello</p>')
    assert replayed["edited_at"] is not None
    await later.send({"type": "resume", "after": 0})
    assert (await later.receive())["message"] == "hello"


async def test_a_message_never_edited_has_no_edit_time(connect_room):
    _, bob, ack = await _alice_and_bob(connect_room, "ed-none")
    assert ack["edited_at"] is None
    assert ack["html"] == '<p dir="auto">helo</p>'


async def test_someone_elses_message_is_not_theirs_to_edit(connect_room):
    alice, bob, ack = await _alice_and_bob(connect_room, "ed-other")
    await bob.send({"type": "edit", "seq": ack["seq"], "message": "hacked"})
    refusal = await bob.receive()
    assert (refusal["type"], refusal["code"]) == ("error", "forbidden")
    assert await alice.receive_nothing()
    assert (await _stored("ed-other", 1)).body == "helo"


async def test_an_unknown_or_deleted_message_is_refused_as_unknown(connect_room):
    alice, _, ack = await _alice_and_bob(connect_room, "ed-unknown")
    await alice.send({"type": "edit", "seq": 99, "message": "x"})
    assert (await alice.receive())["code"] == "unknown_message"
    await alice.send({"type": "delete", "seq": ack["seq"]})
    await alice.receive()
    await alice.send({"type": "edit", "seq": ack["seq"], "message": "x"})
    assert (await alice.receive())["code"] == "unknown_message"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "edit", "seq": 1}, "missing_message"),
        ({"type": "edit", "seq": 1, "message": "   "}, "empty_message"),
        ({"type": "edit", "seq": 1, "message": 5}, "invalid_message"),
        ({"type": "edit", "message": "x"}, "invalid_seq"),
        ({"type": "edit", "seq": 1, "message": "x" * 4001}, "message_too_long"),
    ],
)
async def test_an_edit_frame_that_is_wrong_says_how(connect_room, frame, code):
    alice, _, _ = await _alice_and_bob(connect_room, f"ed-bad-{code}")
    await alice.send(frame)
    assert (await alice.receive())["code"] == code


def test_past_the_window_only_staff_edit():
    alice, moderator = person_new("alice"), person_new("mod", is_staff=True)
    message = post("ed-window", alice, "old news")
    Message.objects.filter(pk=message.pk).update(created=timezone.now() - timedelta(minutes=16))
    with pytest.raises(ActionRefused) as refused:
        message_edit_store(room_name="ed-window", seq=1, identity=identity(alice), text="new")
    assert refused.value.code == "forbidden"
    assert "15 minutes" in refused.value.detail
    edited = message_edit_store(
        room_name="ed-window", seq=1, identity=identity(moderator), text="fixed by staff"
    )
    assert edited.body == "fixed by staff"
    assert MessageEdit.objects.get(message=message).editor_name == "mod"


@override_settings(CHAT_EDIT_WINDOW_MINUTES=60)
def test_the_window_follows_the_setting():
    alice = person_new("alice")
    message = post("ed-setting", alice, "old news")
    Message.objects.filter(pk=message.pk).update(created=timezone.now() - timedelta(minutes=59))
    assert message_edit_store(room_name="ed-setting", seq=1, identity=identity(alice), text="n")


def test_the_same_text_again_is_no_edit():
    alice = person_new("alice")
    post("ed-same", alice, "same")
    assert (
        message_edit_store(room_name="ed-same", seq=1, identity=identity(alice), text="same")
        is None
    )
    assert not MessageEdit.objects.exists()
    assert Message.objects.get(seq=1).edited_at is None


def test_an_edit_that_adds_a_mention_counts_it():
    alice, bob = person_new("alice"), person_new("bob")
    message = post("ed-mention", alice, "hi all")
    room = message.room
    room.memberships.create(user=bob)
    edited = message_edit_store(
        room_name="ed-mention", seq=1, identity=identity(alice), text="hi @bob"
    )
    assert edited.mentions and Mention.objects.filter(message=message, user=bob).exists()
    message_edit_store(room_name="ed-mention", seq=1, identity=identity(alice), text="hi all!")
    assert not Mention.objects.filter(message=message).exists()


def test_deleting_a_message_deletes_its_earlier_versions():
    alice = person_new("alice")
    post("ed-delete", alice, "first")
    message_edit_store(room_name="ed-delete", seq=1, identity=identity(alice), text="second")
    message_delete_store(room_name="ed-delete", seq=1, identity=identity(alice))
    assert not MessageEdit.objects.exists()
    assert Message.objects.get(seq=1).html == ""


async def test_edits_count_against_flood_control(connect_room):
    alice = await connect_room(
        "ed-flood", session=await user_session(await database_sync_to_async(person_new)("alice"))
    )
    ack = await alice.post("x")
    codes = []
    for n in range(40):
        await alice.send({"type": "edit", "seq": ack["seq"], "message": f"x{n}"})
    while len(codes) < 40:
        frame = await alice.receive()
        codes.append(frame.get("code", frame["type"]))
        if "rate_limited" in codes:
            break
    assert "rate_limited" in codes


@database_sync_to_async
def _change_in_the_admin(room: str, seq: int, body: str):
    staff = person_new("mod", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    message = Message.objects.get(room__name=room, seq=seq)
    return client.post(
        f"/admin/chat/message/{message.pk}/change/",
        {
            "author": "",
            "author_name": message.author_name,
            "author_is_guest": "on",
            "body": body,
            "edits-TOTAL_FORMS": "0",
            "edits-INITIAL_FORMS": "0",
            "edits-MIN_NUM_FORMS": "0",
            "edits-MAX_NUM_FORMS": "1000",
        },
    )


async def test_a_body_changed_in_the_admin_is_an_edit_that_goes_out_live(connect_room):
    alice, bob, ack = await _alice_and_bob(connect_room, "ed-admin", "rude words")
    response = await _change_in_the_admin("ed-admin", ack["seq"], "[removed by a moderator]")
    assert response.status_code == 302
    for tab in (alice, bob):
        edit = await tab.receive()
        assert (edit["type"], edit["message"]) == ("edit", "[removed by a moderator]")
    assert await _versions("ed-admin", 1) == ["rude words"]
    assert (await _stored("ed-admin", 1)).html == '<p dir="auto">[removed by a moderator]</p>'
