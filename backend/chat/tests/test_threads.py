"""Threads (docs/protocol.md, docs/api.md): replies carry their root's seq and keep the
room's seqs; the root's summary, live; one level only; following, read marks and
unread counts; a reply also sent to the room; mentions in a thread; access."""

import pytest
from channels.db import database_sync_to_async

from chat.models import Mention, Message, ThreadFollow
from chat.services.moderation import message_delete_store
from chat.services.storing import Post, messages_store
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


def reply(room: str, author, root: int, text: str = "in the thread", **fields):
    [stored] = messages_store(
        room_name=room, posts=[Post(identity(author), text, thread=root, **fields)]
    )
    if isinstance(stored, Exception):
        raise stored
    return stored.message


def _thread(user, room: str, seq: int, after: int = 0):
    path = f"/api/rooms/{room}/threads/{seq}/messages/?after={after}"
    return api(client_of(user), "get", path)


def _threads(user, unread: bool = False) -> list[dict]:
    return api(client_of(user), "get", "/api/threads/" + ("?unread=1" if unread else "")).json()[
        "threads"
    ]


def test_a_reply_keeps_the_rooms_seq_and_names_its_root(alice, bob, secret):
    root = post("secret", alice, "plan?")
    answer = reply("secret", bob, root.seq, "friday")
    after = post("secret", alice, "main line again")
    assert (root.seq, answer.seq, after.seq) == (1, 2, 3)
    history = client_of(alice).get("/chat/secret/messages/").json()["messages"]
    assert [m.get("thread") for m in history] == [None, 1, None]


def test_the_root_carries_its_threads_summary(alice, bob, secret):
    root = post("secret", alice, "plan?")
    reply("secret", bob, root.seq, "friday")
    last = reply("secret", alice, root.seq, "ok")
    [shown, *_] = client_of(bob).get("/chat/secret/messages/").json()["messages"]
    summary = shown["thread_summary"]
    assert summary["replies"] == 2 and summary["last_seq"] == last.seq
    assert [p["user"] for p in summary["people"]] == ["alice", "bob"]  # latest first


def test_a_thread_is_listed_with_its_root(alice, bob, secret):
    root = post("secret", alice, "plan?")
    first = reply("secret", bob, root.seq, "one")
    second = reply("secret", bob, root.seq, "two")
    page = _thread(alice, "secret", root.seq).json()
    assert page["root"]["seq"] == root.seq
    assert [m["seq"] for m in page["messages"]] == [first.seq, second.seq]
    later = _thread(alice, "secret", root.seq, after=first.seq).json()
    assert [m["message"] for m in later["messages"]] == ["two"]
    assert page["following"] is True  # alice started it


def test_the_thread_says_whether_the_reader_follows_it(alice, bob, secret):
    root = post("secret", alice, "plan?")
    assert _thread(bob, "secret", root.seq).json()["following"] is False
    reply("secret", bob, root.seq, "here")
    assert _thread(bob, "secret", root.seq).json()["following"] is True


@pytest.mark.parametrize("case", ["missing", "reply", "other room"])
def test_a_bad_thread_is_refused_invalid_thread(alice, bob, secret, case):
    root = post("secret", alice, "root")
    inner = reply("secret", bob, root.seq)
    elsewhere = post("lobby", alice, "another room's")
    seq = {"missing": 99, "reply": inner.seq, "other room": elsewhere.seq + 10}[case]
    with pytest.raises(Exception) as refused:
        reply("secret", bob, seq)
    assert refused.value.code == "invalid_thread"
    assert not Message.objects.filter(room__name="secret", seq__gt=inner.seq).exists()


async def test_a_bad_thread_on_the_socket_is_refused_by_name(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    await database_sync_to_async(private_room)("plans", alice)
    tab = await connect_room("plans", session=await user_session(alice))
    await tab.send({"message": "x", "nonce": "n-1", "thread": "seven"})
    error = await tab.until(lambda f: f["type"] == "error", timeout=5)
    assert error["code"] == "invalid_thread" and error["nonce"] == "n-1"
    await tab.send({"message": "x", "nonce": "n-2", "thread": 42})
    error = await tab.until(lambda f: f["type"] == "error", timeout=5)
    assert error["code"] == "invalid_thread" and error["nonce"] == "n-2"


async def test_replies_and_their_summary_arrive_live(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    bob = await database_sync_to_async(person_new)("bob")
    await database_sync_to_async(private_room)("plans", alice, bob)
    alice_tab = await connect_room("plans", session=await user_session(alice))
    bob_tab = await connect_room("plans", session=await user_session(bob))
    root = await alice_tab.post("where do we meet?")
    await bob_tab.send({"message": "cafe", "nonce": "n-1", "thread": root["seq"]})
    live = await alice_tab.until(lambda f: f["type"] == "message" and "thread" in f, timeout=5)
    assert live["thread"] == root["seq"] and live["message"] == "cafe"
    summary = await alice_tab.until(lambda f: f["type"] == "thread_summary", timeout=5)
    assert summary["seq"] == root["seq"]
    assert summary["thread_summary"]["replies"] == 1
    assert summary["thread_summary"]["last_seq"] == live["seq"]


def test_a_reply_also_sent_to_the_room_shows_there_quoting_the_root(alice, bob, secret):
    root = post("secret", alice, "plan?")
    answer = reply("secret", bob, root.seq, "friday @alice", also_room=True)
    line = Message.objects.get(room__name="secret", seq=answer.seq + 1)
    assert line.thread is None and line.system == "thread_reply"
    assert line.body == "friday @alice" and line.reply_to_id == root.pk
    assert Mention.objects.filter(user=alice).count() == 1  # counted once, in the thread


def test_starting_replying_and_being_mentioned_follow_a_thread(alice, bob, secret):
    carol = person_new("carol")
    private_room("team", alice, bob, carol)
    root = post("team", alice, "question")
    reply("team", bob, root.seq, "hey @carol")
    followers = set(ThreadFollow.objects.values_list("user__username", flat=True))
    assert followers == {"alice", "bob", "carol"}


def test_followed_threads_count_what_is_unread(alice, bob, secret):
    root = post("secret", alice, "question")
    reply("secret", bob, root.seq, "one")
    reply("secret", bob, root.seq, "two")
    [entry] = _threads(alice, unread=True)
    assert entry["room"] == "secret" and entry["seq"] == root.seq and entry["unread"] == 2
    assert _threads(bob, unread=True) == []  # their own replies
    last = Message.objects.filter(thread=root.seq).latest("seq").seq
    read = api(client_of(alice), "post", f"/api/rooms/secret/threads/{root.seq}/read/",
               {"seq": last})  # fmt: skip
    assert read.status_code == 204
    assert _threads(alice, unread=True) == []
    assert [t["seq"] for t in _threads(alice)] == [root.seq]


def test_thread_replies_count_in_the_thread_not_the_room(alice, bob, secret):
    root = post("secret", alice, "question")
    api(client_of(alice), "post", "/api/rooms/secret/read/", {"seq": root.seq})
    reply("secret", bob, root.seq, "answer")
    rooms = api(client_of(alice), "get", "/api/rooms/").json()["rooms"]
    assert next(r for r in rooms if r["name"] == "secret")["unread"] == 0


def test_anyone_who_reads_the_room_follows_and_unfollows(alice, bob, secret):
    root = post("secret", alice, "question")
    path = f"/api/rooms/secret/threads/{root.seq}/follow/"
    assert api(client_of(bob), "put", path).status_code == 204
    assert ThreadFollow.objects.filter(user=bob).exists()
    assert api(client_of(bob), "delete", path).status_code == 204
    assert not ThreadFollow.objects.filter(user=bob).exists()
    carol = person_new("carol")
    assert api(client_of(carol), "put", path).status_code == 403
    missing = api(client_of(bob), "put", "/api/rooms/secret/threads/77/follow/")
    assert missing.status_code == 404 and error_code(missing) == "unknown_thread"


def test_a_thread_in_a_room_one_lost_is_no_longer_listed(alice, bob, secret):
    root = post("secret", alice, "question")
    reply("secret", bob, root.seq, "one")
    api(client_of(alice), "delete", "/api/rooms/secret/members/bob/")
    assert _threads(bob) == []
    assert _thread(bob, "secret", root.seq).status_code == 403


def test_a_deleted_reply_leaves_the_summary(alice, bob, secret):
    root = post("secret", alice, "question")
    gone = reply("secret", bob, root.seq, "oops")
    reply("secret", bob, root.seq, "kept")
    message_delete_store(room_name="secret", seq=gone.seq, identity=identity(bob))
    from chat.services.threads import summary_refresh

    summary = summary_refresh(root.room_id, root.seq)
    assert summary["replies"] == 1
