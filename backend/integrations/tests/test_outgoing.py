"""Outgoing webhooks: events queued in the transaction that makes them, delivered in
order to a real local HTTP server with retries, signed, given up after 24 hours (a fake
clock), replies posted back, and the API that makes, changes and lists them."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat.models import Message, Room
from chat.services.editing import message_edit_store
from chat.services.moderation import message_delete_store
from chat.services.reactions import reaction_toggle_store
from chat.tests.membership import api, client_of, error_code, identity, person_new, post
from devtools.webhook_receiver import Receiver
from integrations import outgoing
from integrations.models import OutgoingEvent, OutgoingWebhook
from outbound.fetch import Outbound

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings):
    receiver = Receiver().start()
    settings.CHAT_OUTBOUND_ALLOW_HOSTS = frozenset({("127.0.0.1", receiver.port)})
    yield receiver
    receiver.stop()


def hook_new(client, room: str, receiver, **fields) -> dict:
    body = {"url": receiver.url, "events": ["message", "edit", "delete", "reaction"], **fields}
    response = api(client, "post", f"/api/rooms/{room}/outgoing-webhooks/", body)
    assert response.status_code == 201, response.content
    return response.json()


def queued(hook_id: int) -> list[tuple[str, int]]:
    return list(
        OutgoingEvent.objects.filter(webhook_id=hook_id).order_by("pk").values_list("type", "seq")
    )


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self):
        return self.now


async def in_thread(function, *args, **kwargs):
    return await database_sync_to_async(function)(*args, **kwargs)


def deliveries(clock, replies=None) -> outgoing.Deliveries:
    async def reply(due, text, event):
        replies.append((due.name, text, event["seq"]))

    return outgoing.Deliveries(database=in_thread, post=Outbound().post, reply=reply, now=clock)


async def deliver_all(work: outgoing.Deliveries) -> None:
    """One round, and the deliveries it started."""
    await work.round()
    await asyncio.gather(*work.running.values())


# Queueing ---------------------------------------------------------------------------------


def test_posts_in_a_room_with_a_webhook_are_queued_in_seq_order(alice, secret, receiver):
    hook = hook_new(client_of(alice), "secret", receiver)
    first, second = post("secret", alice, "one"), post("secret", alice, "two")
    assert queued(hook["id"]) == [("message", first.seq), ("message", second.seq)]
    assert Room.objects.get(name="secret").outgoing_webhooks_active == 1


def test_a_room_without_webhooks_queues_nothing(alice, secret, receiver):
    post("secret", alice, "one")
    assert not OutgoingEvent.objects.exists()
    assert Room.objects.get(name="secret").outgoing_webhooks_active == 0


def test_edits_deletions_and_reactions_are_queued_after_the_message(alice, secret, receiver):
    hook = hook_new(client_of(alice), "secret", receiver)
    message = post("secret", alice, "one")
    who = identity(alice)
    message_edit_store(room_name="secret", seq=message.seq, identity=who, text="one!")
    reaction_toggle_store(room_name="secret", seq=message.seq, identity=who, emoji="👍")
    reaction_toggle_store(room_name="secret", seq=message.seq, identity=who, emoji="👍")
    message_delete_store(room_name="secret", seq=message.seq, identity=who)
    assert [kind for kind, _ in queued(hook["id"])] == [
        "message", "edit", "reaction", "reaction", "delete",
    ]  # fmt: skip
    bodies = [e.body for e in OutgoingEvent.objects.filter(webhook_id=hook["id"]).order_by("pk")]
    import json

    edit, added, removed, deleted = (json.loads(b) for b in bodies[1:])
    assert edit["message"]["message"] == "one!" and edit["message"]["edited_at"]
    assert added["reaction"] | {"uid": None} == {"emoji": "👍", "uid": None, "user": "alice",
                                                 "added": True}  # fmt: skip
    assert [r["emoji"] for r in added["message"]["reactions"]] == ["👍"]
    assert removed["reaction"]["added"] is False
    assert deleted["message"]["deleted"] is True and deleted["message"]["message"] == ""


def test_only_the_events_asked_for_and_only_mentions_when_asked(alice, secret, receiver):
    client = client_of(alice)
    edits = hook_new(client, "secret", receiver, events=["edit"])
    mentions = hook_new(client, "secret", receiver, events=["message"], mentions_only=True,
                        name="helper")  # fmt: skip
    post("secret", alice, "nothing for anyone")
    asked = post("secret", alice, "@Helper what time is it?")
    assert queued(edits["id"]) == []
    assert queued(mentions["id"]) == [("message", asked.seq)]


def test_a_failing_webhook_queues_nothing_new(alice, secret, receiver):
    hook = hook_new(client_of(alice), "secret", receiver)
    OutgoingWebhook.objects.filter(pk=hook["id"]).update(failing_since=timezone.now())
    outgoing._active_count(Room.objects.get(name="secret").pk)
    post("secret", alice, "one")
    assert queued(hook["id"]) == []


# Delivering -------------------------------------------------------------------------------


async def test_events_are_delivered_in_order_signed_once_each(alice, secret, receiver):
    hook = await in_thread(lambda: hook_new(client_of(alice), "secret", receiver))
    posted = [await in_thread(post, "secret", alice, f"m{n}") for n in range(5)]
    await deliver_all(deliveries(Clock()))
    events = receiver.events()
    assert [e["seq"] for e in events] == [m.seq for m in posted]
    assert [e["message"]["message"] for e in events] == [f"m{n}" for n in range(5)]
    assert {e["room"] for e in events} == {"secret"} and {e["type"] for e in events} == {"message"}
    assert all(r.signed_by(hook["secret"]) for r in receiver.received)
    assert len({r.delivery for r in receiver.received}) == 5
    assert await in_thread(queued, hook["id"]) == []


async def test_a_failure_is_retried_later_and_later_events_wait_behind_it(
    alice, secret, receiver, settings
):
    settings.CHAT_OUTGOING_RETRY_SECONDS = 10
    hook = await in_thread(lambda: hook_new(client_of(alice), "secret", receiver))
    for n in range(3):
        await in_thread(post, "secret", alice, f"m{n}")
    receiver.fail = 2
    clock = Clock()
    work = deliveries(clock)
    await deliver_all(work)  # the head fails: nothing else is tried
    assert receiver.refused == 1 and receiver.received == []
    await deliver_all(work)  # not due yet: not tried
    assert receiver.refused == 1
    clock.now += timedelta(seconds=10)
    await deliver_all(work)  # fails again; next in 20 s
    stored = await in_thread(OutgoingWebhook.objects.get, pk=hook["id"])
    assert stored.attempts == 2 and stored.next_attempt_at == clock.now + timedelta(seconds=20)
    assert stored.last_error == "answered 503"
    clock.now += timedelta(seconds=20)
    await deliver_all(work)
    assert [e["message"]["message"] for e in receiver.events()] == ["m0", "m1", "m2"]
    stored = await in_thread(OutgoingWebhook.objects.get, pk=hook["id"])
    assert stored.attempts == 0 and stored.last_error == ""


async def test_a_receiver_that_is_down_is_a_failure_too(alice, secret, receiver):
    hook = await in_thread(lambda: hook_new(client_of(alice), "secret", receiver))
    await in_thread(post, "secret", alice, "m")
    receiver.stop()
    await deliver_all(deliveries(Clock()))
    stored = await in_thread(OutgoingWebhook.objects.get, pk=hook["id"])
    assert stored.attempts == 1 and "ConnectError" in stored.last_error
    assert await in_thread(queued, hook["id"]) != []


async def test_after_24_hours_of_failures_it_is_failing_and_its_owner_is_told(
    alice, secret, receiver, smtp_server
):
    await in_thread(lambda: type(alice).objects.filter(pk=alice.pk).update(email="a@example.com"))
    hook = await in_thread(lambda: hook_new(client_of(alice), "secret", receiver))
    await in_thread(post, "secret", alice, "m")
    receiver.fail = 10_000
    clock = Clock()
    work = deliveries(clock)
    await deliver_all(work)
    clock.now += timedelta(hours=23, minutes=59)
    await deliver_all(work)
    assert (await in_thread(OutgoingWebhook.objects.get, pk=hook["id"])).failing_since is None
    clock.now += timedelta(minutes=1)
    await deliver_all(work)
    stored = await in_thread(OutgoingWebhook.objects.get, pk=hook["id"])
    assert stored.failing_since == clock.now
    assert await in_thread(queued, hook["id"]) == []
    [mail] = smtp_server.wait_for(1)
    assert mail.recipients == ["a@example.com"] and "is failing" in mail.message["Subject"]
    room = await in_thread(Room.objects.get, name="secret")
    assert room.outgoing_webhooks_active == 0
    listed = await in_thread(
        lambda: api(client_of(alice), "get", "/api/rooms/secret/outgoing-webhooks/")
    )
    assert listed.json()["outgoing_webhooks"][0]["state"] == "failing"
    path = f"/api/rooms/secret/outgoing-webhooks/{hook['id']}/"
    resumed = await in_thread(lambda: api(client_of(alice), "patch", path, {"active": True}))
    assert resumed.json()["state"] == "active"
    assert (await in_thread(Room.objects.get, name="secret")).outgoing_webhooks_active == 1


async def test_only_one_process_delivers_to_a_webhook_at_a_time(alice, secret, receiver):
    await in_thread(lambda: hook_new(client_of(alice), "secret", receiver))
    await in_thread(post, "secret", alice, "m")
    clock = Clock()
    first = await in_thread(outgoing.hooks_due, clock.now)
    second = await in_thread(outgoing.hooks_due, clock.now)
    assert len(first) == 1 and second == []
    clock.now += outgoing.LEASE + timedelta(seconds=1)  # the first process died
    assert len(await in_thread(outgoing.hooks_due, clock.now)) == 1


async def test_a_text_answer_is_posted_back_as_the_webhooks_reply(alice, secret, receiver):
    receiver.reply = {"text": "pong"}
    await in_thread(lambda: hook_new(client_of(alice), "secret", receiver, name="pinger"))
    asked = await in_thread(post, "secret", alice, "ping")
    replies = []
    await deliver_all(deliveries(Clock(), replies))
    assert replies == [("pinger", "pong", asked.seq)]


async def test_the_reply_is_a_message_from_the_webhook_that_it_is_not_told_about(
    alice, secret, receiver
):
    hook = await in_thread(lambda: hook_new(client_of(alice), "secret", receiver, name="pinger"))
    await in_thread(post, "secret", alice, "ping")
    due = outgoing.Due(hook["id"], "secret", receiver.url, hook["secret"], "pinger", "t")
    await outgoing.reply_post(due, "pong", {"message": {}})
    reply = await in_thread(lambda: Message.objects.filter(room__name="secret").last())
    assert (reply.body, reply.author_name, reply.author_is_bot) == ("pong", "pinger", True)
    assert await in_thread(queued, hook["id"]) == [("message", reply.seq - 1)]


# The API ---------------------------------------------------------------------------------


def test_making_one_shows_its_secret_once(alice, secret, receiver):
    made = hook_new(client_of(alice), "secret", receiver, name="CI")
    assert made["secret"] and made["state"] == "active" and made["name"] == "CI"
    listed = api(client_of(alice), "get", "/api/rooms/secret/outgoing-webhooks/").json()
    assert [h["id"] for h in listed["outgoing_webhooks"]] == [made["id"]]
    assert "secret" not in listed["outgoing_webhooks"][0]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "ftp://example.com/x", "events": ["message"]}, "invalid_url"),
        ({"url": "http://127.0.0.1:9/x", "events": ["message"]}, "invalid_url"),
        ({"url": "http://10.0.0.1/x", "events": ["message"]}, "invalid_url"),
        ({"events": ["message"]}, "invalid_url"),
        ({"url": "https://example.com/x", "events": []}, "invalid_events"),
        ({"url": "https://example.com/x", "events": ["message", "typing"]}, "invalid_events"),
        ({"url": "https://example.com/x", "events": "message"}, "invalid_events"),
    ],
)
def test_a_bad_registration_is_refused_saying_why(alice, secret, body, code):
    response = api(client_of(alice), "post", "/api/rooms/secret/outgoing-webhooks/", body)
    assert response.status_code == 400 and error_code(response) == code
    assert response.json()["detail"]
    assert not OutgoingWebhook.objects.exists()


def test_a_local_address_is_refused_unless_listed(alice, secret, receiver, settings):
    settings.CHAT_OUTBOUND_ALLOW_HOSTS = frozenset()
    body = {"url": receiver.url, "events": ["message"]}
    response = api(client_of(alice), "post", "/api/rooms/secret/outgoing-webhooks/", body)
    assert error_code(response) == "invalid_url"
    assert "CHAT_OUTBOUND_ALLOW_HOSTS" in response.json()["detail"]


def test_only_members_make_them_and_staff_only_where_they_may_read(
    alice, secret, receiver, staff_client
):
    carol = person_new("carol")
    body = {"url": receiver.url, "events": ["message"]}
    refused = api(client_of(carol), "post", "/api/rooms/secret/outgoing-webhooks/", body)
    assert refused.status_code in (403, 404)
    # Staff manage every room's webhooks but can't have a private room's events sent out.
    not_theirs = api(staff_client, "post", "/api/rooms/secret/outgoing-webhooks/", body)
    assert not_theirs.status_code in (403, 404)
    hook = hook_new(client_of(alice), "secret", receiver)
    listed = api(staff_client, "get", "/api/rooms/secret/outgoing-webhooks/").json()
    assert [h["id"] for h in listed["outgoing_webhooks"]] == [hook["id"]]
    path = f"/api/rooms/secret/outgoing-webhooks/{hook['id']}/"
    assert api(staff_client, "delete", path).status_code == 204


def test_renaming_and_removing(alice, secret, receiver):
    client = client_of(alice)
    made = hook_new(client, "secret", receiver)
    path = f"/api/rooms/secret/outgoing-webhooks/{made['id']}/"
    changed = api(client, "patch", path, {"name": "Deploys", "events": ["message"]}).json()
    assert (changed["name"], changed["events"]) == ("Deploys", ["message"])
    assert error_code(api(client, "patch", path, {"colour": "red"})) == "invalid_request"
    assert error_code(api(client, "patch", path, {"name": 5})) == "invalid_name"
    assert (
        error_code(api(client, "patch", path, {"mentions_only": "no"})) == "invalid_mentions_only"
    )
    post("secret", alice, "m")
    assert api(client, "delete", path).status_code == 204
    assert not OutgoingEvent.objects.exists()
    assert Room.objects.get(name="secret").outgoing_webhooks_active == 0
    assert api(client, "delete", path).status_code == 404


def test_events_catch_up_from_any_seq(alice, secret):
    client = client_of(alice)
    messages = [post("secret", alice, f"m{n}") for n in range(3)]
    message_delete_store(room_name="secret", seq=messages[1].seq, identity=identity(alice))
    page = api(client, "get", f"/api/rooms/secret/events/?after={messages[0].seq - 1}&limit=2")
    body = page.json()
    assert [(e["type"], e["seq"]) for e in body["events"]] == [
        ("message", messages[0].seq), ("delete", messages[1].seq),
    ]  # fmt: skip
    assert body["next"] == messages[1].seq
    rest = api(client, "get", f"/api/rooms/secret/events/?after={body['next']}").json()
    assert [e["message"]["message"] for e in rest["events"]] == ["m2"] and rest["next"] is None
    outsider = client_of(person_new("carol"))
    assert api(outsider, "get", "/api/rooms/secret/events/?after=0").status_code in (403, 404)
    assert error_code(api(client, "get", "/api/rooms/secret/events/?after=x")) != ""


def test_a_maker_who_leaves_the_room_stops_the_webhook(alice, bob, secret, receiver):
    from chat.models import Membership

    hook = hook_new(client_of(bob), "secret", receiver)
    before = post("secret", alice, "before")
    Membership.objects.filter(room__name="secret", user=bob).delete()
    post("secret", alice, "after bob left")
    assert queued(hook["id"]) == [("message", before.seq)]
    [due] = outgoing.hooks_due(timezone.now())
    assert not outgoing.lease_renew(due.id, due.token, timezone.now())
    assert queued(hook["id"]) == []  # what waited goes nowhere


def test_a_deactivated_maker_stops_the_webhook(alice, secret, receiver):
    hook = hook_new(client_of(alice), "secret", receiver)
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    post("secret", alice, "m")
    assert queued(hook["id"]) == []


def test_a_lost_lease_stops_a_delivery_before_its_next_post(alice, secret, receiver):
    hook = hook_new(client_of(alice), "secret", receiver)
    post("secret", alice, "m")
    now = timezone.now()
    [mine] = outgoing.hooks_due(now)
    later = now + outgoing.LEASE + timedelta(seconds=1)  # this process stalled
    [theirs] = outgoing.hooks_due(later)
    assert not outgoing.lease_renew(mine.id, mine.token, later)
    assert outgoing.lease_renew(theirs.id, theirs.token, later)
    outgoing.lease_release(mine.id, mine.token)  # the stalled one's release leaves theirs
    assert OutgoingWebhook.objects.get(pk=hook["id"]).lease_token == theirs.token


async def test_webhooks_are_not_told_about_webhooks_replies(alice, secret, receiver):
    first = await in_thread(lambda: hook_new(client_of(alice), "secret", receiver, name="echo"))
    second = await in_thread(lambda: hook_new(client_of(alice), "secret", receiver, name="parrot"))
    due = outgoing.Due(first["id"], "secret", receiver.url, first["secret"], "echo", "t")
    await outgoing.reply_post(due, "echo!", {"message": {}})
    assert await in_thread(lambda: Message.objects.filter(body="echo!").exists())
    assert await in_thread(queued, second["id"]) == []
    assert await in_thread(queued, first["id"]) == []


def test_an_edit_event_carries_the_messages_reactions(alice, secret, receiver):
    import json

    hook = hook_new(client_of(alice), "secret", receiver, events=["edit"])
    message = post("secret", alice, "one")
    who = identity(alice)
    reaction_toggle_store(room_name="secret", seq=message.seq, identity=who, emoji="🎉")
    message_edit_store(room_name="secret", seq=message.seq, identity=who, text="one!")
    [event] = OutgoingEvent.objects.filter(webhook_id=hook["id"])
    assert [r["emoji"] for r in json.loads(event.body)["message"]["reactions"]] == ["🎉"]
