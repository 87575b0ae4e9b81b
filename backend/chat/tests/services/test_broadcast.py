"""Broadcasting after a commit: what a synchronous service announces goes out once the
transaction it was made in commits (the outermost one: the admin wraps its saves in
its own), never if it rolls back, and a Redis outage costs only the live update."""

import json
import logging

import pytest
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError

from chat.models import Message
from chat.rooms import person_key, room_group_name
from chat.services.broadcast import PEOPLE_GROUP, on_commit_send, person_address
from chat.services.editing import message_edit_by_staff
from chat.services.moderation import messages_delete_by_staff
from chat.services.rooms import member_remove
from chat.tests.membership import person_new, post

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = person_address("user:7")
MESSAGE = {"type": "chat.access", "room": "secret"}
SENT = (PEOPLE_GROUP, {**MESSAGE, "to": ADDRESS.key})


@pytest.fixture
def layer_sent(monkeypatch) -> list[tuple[str, dict]]:
    """Each (group, message) handed to the channel layer, instead of sending it."""
    sent = []

    async def group_send(group, message):
        sent.append((group, message))

    monkeypatch.setattr(get_channel_layer(), "group_send", group_send)
    return sent


@pytest.fixture
def staff():
    return person_new("moderator", is_staff=True, is_superuser=True)


class Rollback(Exception):
    """Raised to leave a transaction.atomic block by rolling it back."""


def events_sent(sent: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """The group and the decoded event of each broadcast sent."""
    return [(group, json.loads(message["text"])) for group, message in sent]


@pytest.fixture
def redis_away(monkeypatch) -> None:
    """The channel layer can't reach Redis."""

    async def group_send(group, message):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(get_channel_layer(), "group_send", group_send)


def test_nothing_is_sent_until_the_transaction_commits(layer_sent):
    with transaction.atomic():
        on_commit_send(ADDRESS, MESSAGE)
        assert layer_sent == []
    assert layer_sent == [SENT]


def test_inside_nested_blocks_it_waits_for_the_outermost_commit(layer_sent):
    with transaction.atomic():
        with transaction.atomic():
            on_commit_send(ADDRESS, MESSAGE)
        assert layer_sent == []
    assert layer_sent == [SENT]


def test_nothing_is_sent_when_the_transaction_rolls_back(layer_sent):
    with pytest.raises(Rollback), transaction.atomic():
        on_commit_send(ADDRESS, MESSAGE)
        raise Rollback
    assert layer_sent == []


def test_outside_a_transaction_it_is_sent_at_once(layer_sent):
    on_commit_send(ADDRESS, MESSAGE)
    assert layer_sent == [SENT]


def test_redis_away_is_logged_and_the_commit_stands(redis_away, caplog):
    caplog.set_level(logging.WARNING, logger="chat.services.broadcast")
    with transaction.atomic():
        person_new("carol")
        on_commit_send(ADDRESS, MESSAGE)
    assert f"could not broadcast chat.access to {ADDRESS.key}" in caplog.text
    assert get_user_model().objects.filter(username="carol").exists()


def test_a_failed_broadcast_leaves_the_other_commit_callbacks_to_run(monkeypatch):
    async def group_send(group, message):
        raise RuntimeError("a bug in the channel layer")

    monkeypatch.setattr(get_channel_layer(), "group_send", group_send)
    ran = []
    with transaction.atomic():
        on_commit_send(ADDRESS, MESSAGE)
        transaction.on_commit(lambda: ran.append("after"))
    assert ran == ["after"]


# --- the synchronous services -------------------------------------------------------------


def test_a_member_removed_is_told_once_the_outer_transaction_commits(
    layer_sent, secret, alice, bob
):
    with transaction.atomic():
        member_remove(room=secret, by=alice, username="bob")
        assert layer_sent == []
    to = person_key(f"user:{bob.pk}")
    assert layer_sent[0] == (PEOPLE_GROUP, {"type": "chat.access", "room": "secret", "to": to})
    # And the pages open in the room show its members anew.
    group = room_group_name("secret")
    assert layer_sent[1:] == [
        (group, {"type": "chat.event", "text": '{"type":"members"}', "to": group})
    ]


def test_a_member_removal_rolled_back_is_never_told(layer_sent, secret, alice):
    with pytest.raises(Rollback), transaction.atomic():
        member_remove(room=secret, by=alice, username="bob")
        raise Rollback
    assert layer_sent == []


def test_a_staff_edit_goes_to_the_room_once_the_outer_transaction_commits(layer_sent, alice, staff):
    message = post("lobby", alice, "rude words")
    with transaction.atomic():
        message_edit_by_staff(message, text="[removed]", by=staff)
        assert layer_sent == []
    [(group, event)] = events_sent(layer_sent)
    assert group == room_group_name("lobby")
    assert (event["type"], event["seq"], event["message"]) == ("edit", 1, "[removed]")


def test_a_staff_edit_rolled_back_is_never_sent(layer_sent, alice, staff):
    message = post("lobby", alice, "rude words")
    with pytest.raises(Rollback), transaction.atomic():
        message_edit_by_staff(message, text="[removed]", by=staff)
        raise Rollback
    assert layer_sent == []


def test_a_staff_deletion_goes_to_the_room_once_the_outer_transaction_commits(
    layer_sent, alice, staff
):
    message = post("lobby", alice, "spam")
    with transaction.atomic():
        assert messages_delete_by_staff(Message.objects.filter(pk=message.pk), by=staff) == 1
        assert layer_sent == []
    assert events_sent(layer_sent) == [(room_group_name("lobby"), {"type": "delete", "seq": 1})]


def test_a_staff_deletion_rolled_back_is_never_sent(layer_sent, alice, staff):
    message = post("lobby", alice, "spam")
    with pytest.raises(Rollback), transaction.atomic():
        messages_delete_by_staff(Message.objects.filter(pk=message.pk), by=staff)
        raise Rollback
    assert layer_sent == []
