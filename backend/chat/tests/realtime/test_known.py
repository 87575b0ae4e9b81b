"""What a process keeps for handshakes: right after every notice that could change it."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test import Client

from chat.identity import Identity
from chat.models import Room
from chat.protocol import events
from chat.realtime import admission
from chat.realtime import known as known_module
from chat.realtime.hub import hub
from chat.realtime.known import Known, KnownPerson
from chat.realtime.session import Session
from chat.rooms import room_group_name
from chat.services.rooms import access_changed, member_remove
from chat.tests.helpers import (
    HOST,
    ORIGIN,
    ChatClient,
    eventually,
    guest_session,
    session_cookie,
    user_session,
)
from chat.tests.membership import person_new, private_room, staff_set

PEOPLE = "people"
ALICE = Identity("user:1", "alice", False, 1)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def known_of(followed=(PEOPLE, "room.a"), clock=None) -> Known:
    return Known(follows=lambda group: group in followed, people_group=PEOPLE, sessions=3,
                 rooms=3, max_age=60, clock=clock or Clock())  # fmt: skip


def alice(known: Known, rooms=frozenset({"a"})) -> KnownPerson:
    return KnownPerson(ALICE, rooms, "person.alice", known.person_until())


def test_a_session_read_is_kept_and_answers_the_next_handshake():
    known = known_of()
    known.keep_person(known.mark(), "s1", alice(known))
    assert known.person("s1").identity == ALICE


def test_a_notice_to_the_person_forgets_every_session_of_theirs():
    for kind in (events.ACCESS_TYPE, events.IDENTITY_CHANGED_TYPE, events.CREDENTIALS_TYPE):
        known = known_of()
        for key in ("s1", "s2"):
            known.keep_person(known.mark(), key, alice(known))
        known.take({"type": kind, "to": "person.alice"})
        assert (known.person("s1"), known.person("s2")) == (None, None), kind


def test_other_broadcasts_to_the_person_forget_nothing():
    known = known_of()
    known.keep_person(known.mark(), "s1", alice(known))
    known.take({"type": events.GROUP_EVENT_TYPE, "to": "person.alice", "text": "{}"})
    known.take({"type": events.CREDENTIALS_TYPE, "to": "person.bob"})
    assert known.person("s1") is not None


def test_a_kept_session_is_read_again_after_its_time():
    clock = Clock()
    known = known_of(clock=clock)
    known.keep_person(known.mark(), "s1", alice(known))
    clock.now += 61
    assert known.person("s1") is None


def test_nothing_is_kept_while_the_process_does_not_follow_its_notices():
    known = known_of(followed=())
    known.keep_person(known.mark(), "s1", alice(known))
    known.keep_room(known.mark(), "room.a", Room.Kind.PUBLIC)
    assert (known.person("s1"), known.room_kind("room.a")) == (None, None)


def test_a_read_during_which_anything_changed_is_not_kept():
    known = known_of()
    mark = known.mark()
    known.take({"type": events.ACCESS_TYPE, "to": "person.bob"})
    known.keep_person(mark, "s1", alice(known))
    known.keep_room(mark, "room.a", Room.Kind.PUBLIC)
    assert (known.person("s1"), known.room_kind("room.a")) == (None, None)


def test_a_read_from_before_a_new_subscription_is_not_kept():
    known = known_of()
    mark = known.mark()
    known.subscriptions_changed("room.a", followed=True)
    known.keep_room(mark, "room.a", Room.Kind.PUBLIC)
    assert known.room_kind("room.a") is None


def test_a_room_is_forgotten_when_its_access_changes_or_it_is_no_longer_followed():
    known = known_of()
    known.keep_room(known.mark(), "room.a", Room.Kind.PUBLIC)
    known.take({"type": events.ACCESS_TYPE, "to": "room.a", "room": "a"})
    assert known.room_kind("room.a") is None
    known.keep_room(known.mark(), "room.a", Room.Kind.PUBLIC)
    known.subscriptions_changed("room.a", followed=False)
    assert known.room_kind("room.a") is None


def test_people_are_forgotten_when_the_people_group_is_no_longer_followed():
    known = known_of()
    known.keep_person(known.mark(), "s1", alice(known))
    known.subscriptions_changed(PEOPLE, followed=False)
    assert known.person("s1") is None


def test_redis_coming_back_forgets_everything():
    known = known_of()
    known.keep_person(known.mark(), "s1", alice(known))
    known.keep_room(known.mark(), "room.a", Room.Kind.PUBLIC)
    known.clear()
    assert (known.person("s1"), known.room_kind("room.a")) == (None, None)


def test_the_tables_are_bounded_and_drop_the_least_recently_used():
    known = known_of()
    for key in ("s1", "s2", "s3"):
        known.keep_person(known.mark(), key, alice(known))
    known.person("s1")
    known.keep_person(known.mark(), "s4", alice(known))
    assert [k for k in ("s1", "s2", "s3", "s4") if known.person(k)] == ["s1", "s3", "s4"]
    known.take({"type": events.CREDENTIALS_TYPE, "to": "person.alice"})
    assert not any(known.person(k) for k in ("s1", "s3", "s4"))


# --- through real connections: the next handshake sees every change -----------------------

through_connections = pytest.mark.django_db(transaction=True)


def test_a_notice_after_a_mark_is_a_change_for_its_person_or_room_only():
    known = known_of()
    mark = known.mark()
    known.take({"type": events.ACCESS_TYPE, "to": "person.alice"})
    known.take({"type": events.ACCESS_TYPE, "to": "room.a"})
    assert known.changed_since(mark, "person.alice")
    assert known.changed_since(mark, "person.bob", "room.a")
    assert not known.changed_since(mark, "person.bob", "room.b")
    assert not known.changed_since(known.mark(), "person.alice", "room.a")


def test_following_people_anew_or_redis_coming_back_is_a_change_for_everyone():
    known = known_of()
    mark = known.mark()
    known.subscriptions_changed("room.b", followed=True)  # a room's: no one's notices lost
    assert not known.changed_since(mark, "person.bob", "room.b")
    known.subscriptions_changed(PEOPLE, followed=True)
    assert known.changed_since(mark, "person.bob")
    mark = known.mark()
    known.clear()
    assert known.changed_since(mark, "person.bob")


def test_changes_forgotten_past_the_bound_count_as_changes_for_everyone(monkeypatch):
    monkeypatch.setattr(known_module, "CHANGED_KEPT", 2)
    known = known_of()
    mark = known.mark()
    for person in ("person.a", "person.b", "person.c"):
        known.take({"type": events.ACCESS_TYPE, "to": person})
    assert known.changed_since(mark, "person.zed")  # person.a's change was let go
    assert not known.changed_since(known.mark(), "person.zed")


async def _refused(room: str, session: str | None = None) -> dict:
    headers = [ORIGIN, HOST] + ([session_cookie(session)] if session else [])
    client = ChatClient(f"/ws/chat/{room}/", headers)
    await client.connect()
    try:
        return await client.next()
    finally:
        await client.close()


async def _forgotten(session_key: str) -> None:
    """Until the person's notice has reached this process (it travels through Redis)."""
    await eventually(lambda: hub().known.person(session_key) is None, what="the notice")


@through_connections
async def test_handshakes_use_what_the_process_keeps(connect_room, monkeypatch):
    owner = await database_sync_to_async(person_new)("owner")
    key = await user_session(owner)
    await connect_room("kept", session=key)
    await connect_room("kept", session=key)  # read, now that the process follows the room
    reads = []
    monkeypatch.setattr("chat.realtime.admission._read_people_in_rooms", reads.append)
    third = await connect_room("kept", session=key)
    assert (third.identity["user"], reads) == ("owner", [])


@through_connections
async def test_a_new_person_in_a_room_whose_kind_is_kept_reads_only_the_person(
    connect_room, monkeypatch
):
    await connect_room("kept-kind")
    await connect_room("kept-kind")  # the room's kind is kept now
    statements = []
    real = admission._read_people_in_rooms

    def recorded(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    def read(*args):
        with connection.execute_wrapper(recorded):
            return real(*args)

    monkeypatch.setattr("chat.realtime.admission._read_people_in_rooms", read)
    guest = await connect_room("kept-kind", session=await guest_session("newcomer"))
    assert guest.identity["user"] == "newcomer"
    assert statements, "the person was read"
    assert not [sql for sql in statements if '"chat_room"."kind"' in sql], statements


@through_connections
async def test_a_kept_kind_that_changed_while_the_person_was_read_is_checked_again(
    connect_room, monkeypatch
):
    await database_sync_to_async(Room.objects.create)(name="kept-changing")
    await connect_room("kept-changing")
    await connect_room("kept-changing")  # the room's kind (public) is kept now
    known = hub().known
    real = admission._read_people_in_rooms

    def read_while_a_notice_comes(*args):
        known.changes += 1  # as a broadcast that may change the room would
        return real(*args)

    checks = []
    real_check = Session._access_check

    async def check(self, **kwargs):
        checks.append(self.room_name)
        return await real_check(self, **kwargs)

    monkeypatch.setattr("chat.realtime.admission._read_people_in_rooms", read_while_a_notice_comes)
    monkeypatch.setattr(Session, "_access_check", check)
    await connect_room("kept-changing", session=await guest_session("newcomer"))
    assert checks == ["kept-changing"]


@through_connections
async def test_a_member_removed_is_refused_at_the_next_handshake(connect_room):
    owner = await database_sync_to_async(person_new)("owner")
    bob = await database_sync_to_async(person_new)("bob")
    room = await database_sync_to_async(private_room)("kept-private", owner, bob)
    bobs = await user_session(bob)
    await connect_room(room.name, session=await user_session(owner))
    for _ in range(2):  # the second handshake's facts are kept
        await connect_room(room.name, session=bobs)
    await database_sync_to_async(member_remove)(room=room, by=owner, username="bob")
    await _forgotten(bobs)
    frame = await _refused(room.name, bobs)
    assert (frame["type"], frame["code"]) == ("error", "forbidden")


@through_connections
async def test_a_room_made_private_refuses_visitors_at_the_next_handshake(connect_room):
    await connect_room("kept-public")
    await connect_room("kept-public")
    await connect_room("kept-public")  # the room's kind is kept now

    @database_sync_to_async
    def make_private():
        room = Room.objects.get(name="kept-public")
        Room.objects.filter(pk=room.pk).update(kind=Room.Kind.PRIVATE)
        access_changed(room, whole_room=True)

    await database_sync_to_async(Room.objects.get_or_create)(name="kept-public")
    await make_private()
    group = room_group_name("kept-public")
    await eventually(lambda: hub().known.room_kind(group) is None, what="the room forgotten")
    frame = await _refused("kept-public")
    assert (frame["type"], frame["code"]) == ("error", "forbidden")


@through_connections
async def test_a_session_logged_out_is_no_longer_that_person(connect_room):
    owner = await database_sync_to_async(person_new)("owner")

    @database_sync_to_async
    def signed_in_client():
        client = Client()
        client.force_login(owner)
        return client

    client = await signed_in_client()
    key = client.cookies["sessionid"].value
    await connect_room("kept-out", session=key)
    await connect_room("kept-out", session=key)
    await database_sync_to_async(client.post)("/accounts/logout/")
    await _forgotten(key)
    after = await connect_room("kept-out", session=key)
    assert after.identity["guest"] is True


@through_connections
async def test_a_changed_account_is_read_again(connect_room):
    owner = await database_sync_to_async(person_new)("owner")
    key = await user_session(owner)
    await connect_room("kept-staff", session=key)
    await connect_room("kept-staff", session=key)

    await database_sync_to_async(staff_set)(owner, True)
    await _forgotten(key)
    assert (await connect_room("kept-staff", session=key)).identity["staff"] is True
    assert hub().known.person(key) is not None  # read and kept again


@through_connections
async def test_people_who_connect_together_are_read_together(connect_room, monkeypatch):
    await connect_room("together")
    sessions = [await guest_session(f"guest-{n:04d}") for n in range(8)]
    batches = []
    real = admission._read_people_in_rooms

    def read(items):
        batches.append(len(items))
        return real(items)

    monkeypatch.setattr("chat.realtime.admission._read_people_in_rooms", read)
    tabs = await asyncio.gather(*(connect_room("together", session=key) for key in sessions))
    assert sorted(tab.identity["user"] for tab in tabs) == [f"guest-{n:04d}" for n in range(8)]
    assert sum(batches) == 8 and len(batches) < 8, batches


@through_connections
async def test_a_removal_that_came_before_the_session_followed_its_person_is_not_missed(
    connect_room, monkeypatch
):
    """Removed from another room between the handshake's read (its sidebar still had
    the room) and the session's subscription: the notice reached the process but not
    the session, so the session reads the sidebar again and passes on no activity."""

    @database_sync_to_async
    def rooms_of_ann_and_ben():
        ann, ben = person_new("ann"), person_new("ben")
        Room.objects.create(name="here")  # public: no check of access after subscribing
        for name in ("elsewhere", "third"):
            private_room(name, ann, ben)
        return ann, ben

    ann, ben = await rooms_of_ann_and_ben()
    anns = await user_session(ann)
    await connect_room("here", session=anns)  # the process follows the people group
    real_open = Session.open

    async def open_after_a_removal(self):
        monkeypatch.setattr(Session, "open", real_open)
        mark = hub().known.mark()
        elsewhere = await database_sync_to_async(Room.objects.get)(name="elsewhere")
        await database_sync_to_async(member_remove)(room=elsewhere, by=ann, username="ben")
        await eventually(lambda: hub().known.changes != mark, what="the notice")
        await real_open(self)

    monkeypatch.setattr(Session, "open", open_after_a_removal)
    bens_tab = await connect_room("here", session=await user_session(ben))
    await (await connect_room("elsewhere", session=anns)).post("not for ben")
    await (await connect_room("third", session=anns)).post("for ben")
    activity = await bens_tab.until(lambda frame: frame["type"] == "activity")
    assert activity["room"] == "third"
    assert await bens_tab.receive_nothing(kinds={"activity"})
