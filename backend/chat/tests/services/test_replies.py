"""Replies: a message that names the one it answers carries a short quote of it, live
and in history; a deleted original shows as deleted; an unknown one is refused."""

import pytest

from chat.protocol.events import SNIPPET_LENGTH, message_event
from chat.selectors import room_history
from chat.services.moderation import message_delete_store
from chat.services.storing import Post, messages_store
from chat.tests.helpers import guest_session
from chat.tests.membership import identity, person_new, post

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_reply_carries_a_quote_of_its_original_live_and_in_history(connect_room):
    alice = await connect_room("rp-live", session=await guest_session("alice"))
    bob = await connect_room("rp-live", session=await guest_session("bob"))
    original = await alice.post("who brings\nthe cake?")
    await bob.receive()
    await bob.send({"message": "I do", "nonce": "r1", "reply_to": original["seq"]})
    for tab in (alice, bob):
        reply = await tab.receive()
        assert reply["reply_to"] == {
            "seq": original["seq"],
            "user": "alice",
            "snippet": "who brings the cake?",
            "deleted": False,
        }
    later = await connect_room("rp-live", session=await guest_session("carol"))
    assert later.history[1]["reply_to"]["seq"] == original["seq"]
    assert later.history[0]["reply_to"] is None


async def test_a_reply_to_a_message_that_is_not_there_is_refused_naming_its_nonce(connect_room):
    alice = await connect_room("rp-unknown", session=await guest_session("alice"))
    await alice.send({"message": "huh", "nonce": "r1", "reply_to": 9})
    refusal = await alice.receive()
    assert (refusal["code"], refusal["nonce"]) == ("unknown_message", "r1")


@pytest.mark.parametrize("reply_to", ["one", -1, 1.5, True, [1]])
async def test_a_reply_to_that_is_not_a_seq_is_refused(connect_room, reply_to):
    alice = await connect_room("rp-bad", session=await guest_session("alice"))
    await alice.send({"message": "huh", "nonce": "r1", "reply_to": reply_to})
    refusal = await alice.receive()
    assert (refusal["code"], refusal["nonce"]) == ("invalid_reply_to", "r1")


def _reply(room: str, author, text: str, reply_to: int):
    [stored] = messages_store(room_name=room, posts=[Post(identity(author), text, None, reply_to)])
    return stored.message


def test_a_reply_to_a_deleted_message_shows_it_as_deleted():
    alice = person_new("alice")
    post("rp-deleted", alice, "secret plan")
    _reply("rp-deleted", alice, "see above", 1)
    message_delete_store(room_name="rp-deleted", seq=1, identity=identity(alice))
    reply = room_history(room_name="rp-deleted")[1]
    assert message_event(reply)["reply_to"] == {
        "seq": 1,
        "user": "alice",
        "snippet": "",
        "deleted": True,
    }


def test_a_long_original_is_quoted_short():
    alice = person_new("alice")
    post("rp-long", alice, "word " * 200)
    reply = _reply("rp-long", alice, "tl;dr?", 1)
    snippet = message_event(reply)["reply_to"]["snippet"]
    assert len(snippet) <= SNIPPET_LENGTH and snippet.endswith("…")


def test_a_reply_can_only_quote_its_own_room():
    alice = person_new("alice")
    post("rp-here", alice, "here")
    post("rp-there", alice, "there")
    reply = _reply("rp-there", alice, "answer", 1)
    assert message_event(reply)["reply_to"]["snippet"] == "there"


def test_a_quote_shows_the_originals_words_not_its_markdown():
    alice = person_new("alice")
    post("rp-markdown", alice, "**done**, see [the docs](https://example.com) and `x < y`")
    reply = _reply("rp-markdown", alice, "thanks", 1)
    assert message_event(reply)["reply_to"]["snippet"] == "done, see the docs and x < y"
