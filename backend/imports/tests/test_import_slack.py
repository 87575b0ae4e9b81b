"""Importing a Slack export: what each part of it becomes here, read back as people read
it (the HTTP API, the search) where that is how they would see it."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from chat.models import Membership, Mention, Message, Reaction, Room, ThreadFollow
from chat.rooms import public_person_id
from chat.search import message_search
from chat.tests.membership import client_of, post
from imports.models import SlackPerson
from imports.services import slack_import
from imports.tests.slack_export import (
    ALICE,
    BOB,
    DM,
    FILE_URL,
    T0,
    TRIO_NAME,
    export_write,
    message,
    workspace,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(tmp_path):
    """The sample workspace, imported."""
    return slack_import(path=export_write(tmp_path / "export.zip", **workspace()))


def _person(username: str):
    return get_user_model().objects.get(username=username)


def _joined(username: str):
    """The imported account of ``username`` as it is once they signed up for it."""
    user = _person(username)
    user.is_active = True
    user.save()
    return user


def _history(room: str, reader: str = "alice") -> list[dict]:
    """The room's messages as the HTTP API gives them to ``reader`` once they joined."""
    response = client_of(_joined(reader)).get(f"/api/rooms/{room}/messages/")
    assert response.status_code == 200, response.content
    return response.json()["messages"]


def test_channels_become_public_rooms_with_their_topic_description_and_members(imported):
    general = Room.objects.get(name="general")
    assert general.kind == Room.Kind.PUBLIC
    assert general.topic == "News for @alice's team"
    assert general.description == "Everything & anything"
    assert general.created == datetime.fromtimestamp(T0, tz=UTC)
    members = Membership.objects.filter(room=general)
    assert {m.user.username for m in members} == {"alice", "bob", "carol"}
    assert {m.user.username for m in members if m.is_owner} == {"alice"}


def test_private_channels_and_group_messages_become_private_rooms(imported):
    for name, members in [("secret-plans", {"alice", "bob"}),
                          (TRIO_NAME, {"alice", "bob", "carol"})]:  # fmt: skip
        room = Room.objects.get(name=name)
        assert room.kind == Room.Kind.PRIVATE
        assert {m.user.username for m in room.memberships.all()} == members
    refused = client_of(_joined("carol")).get("/api/rooms/secret-plans/messages/")
    assert refused.status_code == 403


def test_a_direct_message_becomes_the_two_peoples_direct_messages(imported):
    alice, bob = _person("alice"), _person("bob")
    low, high = sorted((alice.pk, bob.pk))
    room = Room.objects.get(dm_pair=f"{low}:{high}")
    assert room.kind == Room.Kind.DM and room.name == f"dm-{low}-{high}"
    assert [m["message"] for m in _history(room.name, "bob")] == ["hi bob", "hi alice"]


def test_messages_keep_their_slack_times_and_are_numbered_in_time_order(imported):
    general = Room.objects.get(name="general")
    messages = list(Message.objects.filter(room=general).order_by("seq"))
    assert [m.seq for m in messages] == list(range(1, len(messages) + 1))
    times = [m.created for m in messages]
    assert times == sorted(times)
    assert times[0] == datetime.fromtimestamp(T0 + 100, tz=UTC)
    assert messages[0].body.startswith("Hello @bob")
    assert general.last_seq == len(messages)
    assert general.last_message_at == times[-1]


def test_a_message_posted_after_the_import_follows_its_history(imported):
    last_seq = Room.objects.get(name="general").last_seq
    assert post("general", _joined("alice"), "Hello from the moon").seq == last_seq + 1
    hits = message_search(user_id=_person("alice").pk, query="moon")
    assert [hit.seq for hit in hits] == [last_seq + 1]


def test_everything_imported_is_read_and_notifies_no_one(imported):
    general = Room.objects.get(name="general")
    for membership in Membership.objects.filter(room=general):
        assert membership.last_read_seq == membership.emailed_seq == general.last_seq


def test_slacks_own_lines_are_left_out(imported):
    assert not Message.objects.filter(body__contains="has joined").exists()


def test_thread_replies_go_in_their_roots_thread_with_its_summary(imported):
    shown = _history("general")
    root = next(m for m in shown if m["message"].startswith("Hello"))
    replies = [m for m in shown if m.get("thread") == root["seq"]]
    assert [m["message"] for m in replies] == [
        "Thanks @alice!", "Also for everyone: the zeppelin lands at noon"
    ]  # fmt: skip
    summary = root["thread_summary"]
    assert summary["replies"] == 2 and summary["last_seq"] == replies[-1]["seq"]
    assert [person["user"] for person in summary["people"]] == ["carol", "bob"]
    assert ThreadFollow.objects.filter(room__name="general", root_seq=root["seq"]).count() == 3


def test_a_reply_also_sent_to_the_channel_shows_in_the_room_too(imported):
    shown = _history("general")
    root = next(m for m in shown if m["message"].startswith("Hello"))
    line = next(m for m in shown if m.get("system") == "thread_reply")
    assert line["message"] == "Also for everyone: the zeppelin lands at noon"
    assert line["reply_to"]["seq"] == root["seq"] and "thread" not in line


def test_reactions_become_emoji_given_by_the_same_people(imported):
    root = next(m for m in _history("general") if m["message"].startswith("Hello"))
    reactions = {r["emoji"]: sorted(r["users"]) for r in root["reactions"]}
    # A workspace's own emoji (:party-parrot:) has no character: left out.
    assert reactions == {"👍": ["bob", "carol"], "🎉": ["bob"]}  # 🎉 takes no skin tone
    assert Reaction.objects.count() == 3


def test_an_edited_message_shows_as_edited_when_slack_says(imported):
    edited = next(m for m in _history("general") if m["message"].startswith("A **bold**"))
    assert edited["edited_at"] == "2020-09-13T12:32:30.000Z"
    untouched = next(m for m in _history("general") if m["message"].startswith("Hello"))
    assert untouched["edited_at"] is None


def test_slack_markup_becomes_markdown_with_its_html(imported):
    edited = Message.objects.get(body__startswith="A **bold**")
    assert edited.body == "A **bold** plan & more: [the plan](https://example.com/plan)"
    assert "<strong>bold</strong>" in edited.html
    assert 'href="https://example.com/plan"' in edited.html


def test_mentions_name_people_by_username_and_count_for_them(imported):
    alice, bob = _person("alice"), _person("bob")
    hello = Message.objects.get(body__startswith="Hello")
    assert hello.body == "Hello @bob and @here, see #random"
    assert hello.mentions == [public_person_id(f"user:{bob.pk}"), "here"]
    assert Mention.objects.filter(message=hello, user=bob).exists()
    assert not Mention.objects.filter(message=hello, user=alice).exists()  # their own


def test_files_become_links_to_them_in_slack(imported):
    shared = Message.objects.get(body__startswith="Here is the report")
    assert shared.body == f"Here is the report\n[Q3 report]({FILE_URL})"
    assert f'href="{FILE_URL}"' in shared.html


def test_bot_messages_keep_the_bots_name_and_show_as_a_bots(imported):
    deployed = next(m for m in _history("general") if m["message"].startswith("Deployed v1.2"))
    assert deployed["user"] == "deploybot" and deployed["bot"] is True
    assert not get_user_model().objects.filter(username="deploybot").exists()
    thanks = Message.objects.get(body__startswith="Deployed, thanks")
    assert thanks.body == "Deployed, thanks @deploybot" and thanks.mentions == []


def test_search_finds_an_imported_message(imported):
    hits = message_search(user_id=_person("carol").pk, query="zeppelin")
    assert [(hit.room, hit.author) for hit in hits] == [("general", "carol")] * 2
    private = message_search(user_id=_person("carol").pk, query="launch")
    assert private == []  # #secret-plans is alice's and bob's
    assert [hit.room for hit in message_search(user_id=_person("bob").pk, query="launch")] == [
        "secret-plans"
    ]


def test_people_become_accounts_waiting_for_them(imported):
    alice = _person("alice")
    assert not alice.is_active and not alice.has_usable_password() and alice.email == ""
    assert alice.profile.display_name == "Alice A."
    assert alice.profile.time_zone == "Europe/Berlin"
    person = SlackPerson.objects.get(slack_id=ALICE)
    assert person.user == alice and person.email == "alice@example.com"
    assert person.joined is None
    browser = client_of()
    browser.post("/accounts/login/", {"login": "alice", "password": "anything-at-all"})
    assert "_auth_user_id" not in browser.session


def test_a_taken_username_gets_a_number(tmp_path):
    get_user_model().objects.create_user(username="Bob", password="pw-for-tests-1")
    imported = slack_import(path=export_write(tmp_path / "export.zip", **workspace()))
    assert SlackPerson.objects.get(slack_id=BOB).user.username == "bob-2"
    assert any("@bob is @bob-2" in note for note in imported.notes)
    assert Message.objects.get(body="Lunch?").author_name == "bob-2"


def test_a_direct_message_with_no_one_else_is_left_out(tmp_path):
    export = workspace()
    export["dms"] = [{"id": DM, "created": T0, "members": [ALICE]}]
    export["history"][DM] = [message(40, ALICE, "note to self")]
    imported = slack_import(path=export_write(tmp_path / "export.zip", **export))
    assert not Message.objects.filter(body="note to self").exists()
    assert any(DM in note for note in imported.notes)


def test_what_was_imported_is_counted(imported):
    assert (imported.rooms, imported.private, imported.direct) == (5, 2, 1)
    assert imported.messages == Message.objects.filter(system="").count() == 12
    assert (imported.accounts_new, imported.accounts_kept) == (3, 0)
