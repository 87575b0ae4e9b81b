"""A room's incoming webhooks: made by members or staff, posting as a bot, refusing bad
bodies, rate-limited, and gone once revoked."""

from urllib.parse import urlsplit

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat.models import Message, Room
from chat.ratelimit import RequestBuckets
from chat.services.rooms import member_remove
from chat.tests.membership import api, client_of, error_code, person_new
from integrations import webhooks
from integrations.models import Webhook

pytestmark = pytest.mark.django_db(transaction=True)


def hook_url(client, room: str, name: str = "CI") -> str:
    response = api(client, "post", f"/api/rooms/{room}/webhooks/", {"name": name})
    assert response.status_code == 201, response.content
    return urlsplit(response.json()["url"]).path


def test_a_member_makes_a_webhook_whose_secret_is_only_hashed(alice, secret):
    response = api(client_of(alice), "post", "/api/rooms/secret/webhooks/", {"name": "CI"})
    assert response.status_code == 201
    body = response.json()
    secret_part = urlsplit(body["url"]).path.rstrip("/").rsplit("/", 1)[1]
    assert not Webhook.objects.filter(token_hash=secret_part).exists()
    listed = api(client_of(alice), "get", "/api/rooms/secret/webhooks/").json()["webhooks"]
    assert [(h["id"], h["name"]) for h in listed] == [(body["id"], "CI")]
    assert "url" not in listed[0]


def test_a_non_member_cannot_make_one_but_staff_can(secret, staff_client):
    carol = person_new("carol")
    response = api(client_of(carol), "post", "/api/rooms/secret/webhooks/", {"name": "CI"})
    assert response.status_code == 403
    assert api(staff_client, "post", "/api/rooms/secret/webhooks/", {}).status_code == 201


def test_a_webhook_may_not_take_a_username(alice, secret):
    response = api(client_of(alice), "post", "/api/rooms/secret/webhooks/", {"name": "Bob"})
    assert response.status_code == 400 and error_code(response) == "invalid_name"


async def test_a_post_appears_in_the_private_room_as_a_bot(alice, secret, connect_room):
    from chat.tests.helpers import user_session

    path = await database_sync_to_async(lambda: hook_url(client_of(alice), "secret"))()
    listener = await connect_room("secret", session=await user_session(alice))
    response = await database_sync_to_async(api)(
        Client(), "post", path, {"text": "build **passed**"}
    )
    assert response.status_code == 201
    frame = await listener.receive()
    assert frame["type"] == "message" and frame["user"] == "CI" and frame["bot"] is True
    assert "<strong>passed</strong>" in frame["html"]
    assert response.json()["seq"] == frame["seq"]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ("not json", 400, "invalid_json"),
        ('"text"', 400, "invalid_request"),
        ('{"message": "hi"}', 400, "missing_text"),
        ('{"text": 5}', 400, "invalid_message"),
        ('{"text": ""}', 400, "empty_message"),
        ('{"text": "' + "x" * 5000 + '"}', 413, "message_too_long"),
        ('{"text": "' + "x" * (10 * 1024 * 1024) + '"}', 413, "body_too_large"),
    ],
    ids=["not-json", "not-object", "no-text", "not-text", "empty", "too-long", "10-MB"],
)
def test_a_bad_body_is_refused_and_nothing_posted(alice, secret, body, status, code):
    path = hook_url(client_of(alice), "secret")
    response = Client().post(path, body, "application/json")
    assert (response.status_code, error_code(response)) == (status, code)
    assert not Message.objects.exists()


def test_a_revoked_webhook_is_gone(alice, secret):
    client = client_of(alice)
    path = hook_url(client, "secret")
    hook = Webhook.objects.get()
    assert api(client, "delete", f"/api/rooms/secret/webhooks/{hook.pk}/").status_code == 204
    response = api(Client(), "post", path, {"text": "hi"})
    assert response.status_code == 410 and error_code(response) == "webhook_revoked"
    assert not Message.objects.exists()


def test_a_webhook_stops_posting_once_its_maker_leaves_the_private_room(alice, secret):
    client = client_of(alice)
    path = hook_url(client, "secret")
    member_remove(room=Room.objects.get(name="secret"), by=alice, username="alice")
    response = api(Client(), "post", path, {"text": "hi"})
    assert response.status_code == 403 and error_code(response) == "webhook_maker_left"
    assert not Message.objects.exists()


def test_a_webhook_stops_posting_once_its_makers_account_is_deactivated(alice, secret):
    path = hook_url(client_of(alice), "secret")
    alice.is_active = False
    alice.save()
    response = api(Client(), "post", path, {"text": "hi"})
    assert response.status_code == 403 and error_code(response) == "webhook_maker_gone"
    assert not Message.objects.exists()


def test_an_unknown_webhook_is_404():
    response = api(Client(), "post", "/api/hooks/nothing-here/", {"text": "hi"})
    assert response.status_code == 404 and error_code(response) == "unknown_webhook"


def test_a_webhook_that_posts_too_fast_is_told_to_wait(alice, secret, monkeypatch):
    monkeypatch.setattr(webhooks, "BURST", 2)
    monkeypatch.setattr(webhooks, "RATE", 0.001)
    monkeypatch.setattr(webhooks, "http_post_buckets", RequestBuckets())
    path = hook_url(client_of(alice), "secret")
    answers = [api(Client(), "post", path, {"text": f"m{n}"}).status_code for n in range(3)]
    assert answers == [201, 201, 429]
    assert Message.objects.count() == 2
