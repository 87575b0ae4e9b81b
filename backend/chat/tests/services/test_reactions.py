"""Reactions: toggled per person and emoji, sent to the room live, carried by history,
at most 20 different emoji on a message, and only single emoji."""

import pytest

from chat.protocol.events import message_event
from chat.selectors import room_history
from chat.services import ActionRefused
from chat.services.moderation import message_delete_store
from chat.services.reactions import REACTIONS_MAX, reaction_toggle_store
from chat.tests.helpers import guest_session
from chat.tests.membership import identity, person_new, post

pytestmark = pytest.mark.django_db(transaction=True)


async def _alice_and_bob(connect_room, room: str):
    alice = await connect_room(room, session=await guest_session("alice"))
    bob = await connect_room(room, session=await guest_session("bob"))
    ack = await alice.post("lunch?")
    await bob.receive()
    return alice, bob, ack


async def test_a_reaction_reaches_every_tab_with_who_gave_it(connect_room):
    alice, bob, ack = await _alice_and_bob(connect_room, "re-live")
    await bob.send({"type": "react", "seq": ack["seq"], "emoji": "👍"})
    for tab in (alice, bob):
        frame = await tab.receive(kinds={"reactions"})
        assert frame == {
            "type": "reactions",
            "seq": ack["seq"],
            "reactions": [
                {"emoji": "👍", "count": 1, "users": ["bob"], "uids": [bob.identity["id"]]}
            ],
        }


async def test_the_same_reaction_again_takes_it_back(connect_room):
    alice, bob, ack = await _alice_and_bob(connect_room, "re-toggle")
    for _ in range(2):
        await bob.send({"type": "react", "seq": ack["seq"], "emoji": "🎉"})
    await alice.receive(kinds={"reactions"})
    assert (await alice.receive(kinds={"reactions"}))["reactions"] == []


async def test_counts_add_up_across_people_and_history_carries_them(connect_room):
    alice, bob, ack = await _alice_and_bob(connect_room, "re-history")
    await alice.send({"type": "react", "seq": ack["seq"], "emoji": "👍🏽"})
    await alice.receive(kinds={"reactions"})
    await bob.send({"type": "react", "seq": ack["seq"], "emoji": "👍🏽"})
    await alice.receive(kinds={"reactions"})
    later = await connect_room("re-history", session=await guest_session("carol"))
    [message] = later.history
    assert [(r["emoji"], r["count"], r["users"]) for r in message["reactions"]] == [
        ("👍🏽", 2, ["alice", "bob"])
    ]


async def test_a_new_message_has_no_reactions(connect_room):
    _, _, ack = await _alice_and_bob(connect_room, "re-none")
    assert ack["reactions"] == []


@pytest.mark.parametrize("emoji", ["a", "👍👍", "", " ", 7, None, "👍" * 40, "<b>"])
async def test_anything_but_one_emoji_is_refused(connect_room, emoji):
    alice, _, ack = await _alice_and_bob(connect_room, "re-bad")
    await alice.send({"type": "react", "seq": ack["seq"], "emoji": emoji})
    assert (await alice.receive())["code"] == "invalid_reaction"


async def test_a_reaction_to_an_unknown_message_is_refused(connect_room):
    alice, _, _ = await _alice_and_bob(connect_room, "re-unknown")
    await alice.send({"type": "react", "seq": 42, "emoji": "👍"})
    assert (await alice.receive())["code"] == "unknown_message"


def test_past_twenty_different_emoji_a_new_one_is_refused_but_known_ones_still_count():
    alice, bob = person_new("alice"), person_new("bob")
    post("re-cap", alice, "vote")
    faces = [chr(0x1F600 + n) for n in range(REACTIONS_MAX + 1)]
    for face in faces[:REACTIONS_MAX]:
        reaction_toggle_store(room_name="re-cap", seq=1, identity=identity(alice), emoji=face)
    with pytest.raises(ActionRefused) as refused:
        reaction_toggle_store(room_name="re-cap", seq=1, identity=identity(bob), emoji=faces[-1])
    assert refused.value.code == "invalid_reaction"
    after = reaction_toggle_store(room_name="re-cap", seq=1, identity=identity(bob), emoji=faces[0])
    assert sum(1 for r in after if r.emoji == faces[0]) == 2


def test_deleting_a_message_takes_its_reactions_from_its_frames():
    alice = person_new("alice")
    post("re-delete", alice, "oops")
    reaction_toggle_store(room_name="re-delete", seq=1, identity=identity(alice), emoji="👀")
    message_delete_store(room_name="re-delete", seq=1, identity=identity(alice))
    [message] = room_history(room_name="re-delete")
    assert message_event(message)["reactions"] == []
    with pytest.raises(ActionRefused):
        reaction_toggle_store(room_name="re-delete", seq=1, identity=identity(alice), emoji="👀")


async def test_reactions_count_against_flood_control(connect_room):
    alice, _, ack = await _alice_and_bob(connect_room, "re-flood")
    for _ in range(30):
        await alice.send({"type": "react", "seq": ack["seq"], "emoji": "👍"})
    refusal = await alice.until(lambda f: f["type"] == "error")
    assert refusal["code"] == "rate_limited"
