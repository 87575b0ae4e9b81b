"""What a stored message tells people outside its room: a Web Push, to a local push
service, for each person it @mentions and for the other person of a DM."""

import json

import http_ece
import pytest
from channels.db import database_sync_to_async

from chat.identity import Identity
from chat.models import Membership, Room
from chat.services.messages import messages_post
from chat.services.rooms import dm_open
from chat.services.storing import Post
from chat.tests.helpers import eventually
from notifications.models import PushSubscription
from notifications.tests.conftest import Browser, person_new

pytestmark = pytest.mark.django_db(transaction=True)


async def _subscribed(username: str, push_service):
    """A signed-up person, and the browser they subscribed to pushes with (at the push
    service's path ``/<username>``)."""
    user = await database_sync_to_async(person_new)(username)
    browser = Browser.new()
    keys = browser.subscription("")["keys"]
    await PushSubscription.objects.acreate(
        user=user,
        endpoint=f"{push_service.url}/{username}",
        p256dh=keys["p256dh"],
        auth=keys["auth"],
    )
    return user, browser


async def _member(room: str, user) -> None:
    """``user`` keeps the public room ``room`` in their sidebar."""
    room, _ = await Room.objects.aget_or_create(name=room)
    await Membership.objects.acreate(room=room, user=user)


async def _post(room: str, user, text: str) -> None:
    identity = Identity(f"user:{user.pk}", user.username, False, user.pk)
    [result] = await messages_post(room_name=room, posts=[Post(identity, text, None)])
    assert result.created


def _opened(push, browser: Browser) -> dict:
    plain = http_ece.decrypt(
        push.body,
        private_key=browser.private_key,
        auth_secret=browser.auth_secret,
        version="aes128gcm",
    )
    return json.loads(plain)


async def test_a_mention_pushes_to_the_person_mentioned(push_service, vapid_public_key):
    alice = await database_sync_to_async(person_new)("alice")
    bob, browser = await _subscribed("bob", push_service)
    await _member("design", bob)

    await _post("design", alice, "@bob the mockups are in")

    await eventually(lambda: push_service.received, what="a push to bob")
    [push] = push_service.received
    assert push.path == "/bob"
    assert _opened(push, browser) == {
        "title": "alice in design",
        "body": "@bob the mockups are in",
        "url": "/chat/design/#seq-1",
        "tag": "design:1",
    }


async def test_a_direct_message_pushes_to_the_other_person(push_service, vapid_public_key):
    alice = await database_sync_to_async(person_new)("alice")
    bob, browser = await _subscribed("bob", push_service)
    room, _ = await database_sync_to_async(dm_open)(user=alice, username="bob")

    await _post(room.name, alice, "lunch?")

    await eventually(lambda: push_service.received, what="a push to bob")
    payload = _opened(push_service.received[0], browser)
    assert (payload["title"], payload["body"]) == ("alice", "lunch?")


async def test_a_message_that_mentions_no_one_pushes_nothing(push_service, vapid_public_key):
    alice = await database_sync_to_async(person_new)("alice")
    bob, _ = await _subscribed("bob", push_service)
    await _member("design", bob)

    await _post("design", alice, "bob will like this")
    await _post("design", alice, "@bob")  # the push after it shows the first made none

    await eventually(lambda: push_service.received, what="the second message's push")
    assert len(push_service.received) == 1


async def test_no_push_reaches_someone_who_may_not_read_the_room(push_service, vapid_public_key):
    alice = await database_sync_to_async(person_new)("alice")
    bob, _ = await _subscribed("bob", push_service)
    carol, carol_browser = await _subscribed("carol", push_service)
    room = await Room.objects.acreate(name="secret", kind=Room.Kind.PRIVATE)
    await Membership.objects.acreate(room=room, user=alice, is_owner=True)
    await Membership.objects.acreate(room=room, user=carol)

    await _post("secret", alice, "@bob @carol plans")

    await eventually(lambda: push_service.received, what="carol's push")
    assert [push.path for push in push_service.received] == ["/carol"]
