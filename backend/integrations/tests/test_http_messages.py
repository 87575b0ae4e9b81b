"""Reading and posting a room's messages over HTTP: the same messages, nonces and
broadcasts as the WebSocket."""

import json

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from api import messages as http_messages
from chat.models import Message
from chat.ratelimit import RequestBuckets
from chat.tests.membership import api, client_of, error_code, person_new, post, private_room
from integrations.bots import bot_create
from integrations.tokens import token_create

pytestmark = pytest.mark.django_db(transaction=True)


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, name='cli')[1]}"}


def test_reading_gives_the_oldest_after_a_seq_in_order(alice):
    for n in range(1, 6):
        post("lobby", alice, f"m{n}")
    body = api(Client(), "get", "/api/rooms/lobby/messages/?after=1&limit=3").json()
    assert [(m["seq"], m["message"]) for m in body["messages"]] == [(2, "m2"), (3, "m3"), (4, "m4")]
    assert body["messages"][0]["type"] == "message" and body["has_more"] is True


def test_reading_a_private_room_needs_membership(alice, bob, secret):
    post("secret", alice, "plans")
    assert (
        api(client_of(person_new("carol")), "get", "/api/rooms/secret/messages/").status_code == 403
    )
    assert api(Client(), "get", "/api/rooms/secret/messages/", **bearer(bob)).status_code == 200


@pytest.mark.parametrize("query", ["after=-1", "after=x", "limit=0", "limit=500"])
def test_a_bad_page_is_refused(query):
    post("lobby", person_new("carol"))
    assert api(Client(), "get", f"/api/rooms/lobby/messages/?{query}").status_code == 400


async def test_posting_stores_broadcasts_and_answers_201(alice, connect_room):
    listener = await connect_room("lobby")
    headers = await database_sync_to_async(bearer)(alice)
    response = await database_sync_to_async(api)(
        Client(), "post", "/api/rooms/lobby/messages/",
        {"message": "deployed **v2**", "nonce": "n-1"}, **headers,
    )  # fmt: skip
    assert response.status_code == 201
    stored = response.json()
    assert stored["seq"] == 1 and stored["user"] == "alice" and "<strong>" in stored["html"]
    frame = await listener.receive()
    assert frame["type"] == "message" and frame["seq"] == 1 and frame["nonce"] == "n-1"


def test_the_same_nonce_stores_once(alice):
    headers = bearer(alice)
    first = api(Client(), "post", "/api/rooms/lobby/messages/",
                {"message": "once", "nonce": "n-1"}, **headers)  # fmt: skip
    again = api(Client(), "post", "/api/rooms/lobby/messages/",
                {"message": "once", "nonce": "n-1"}, **headers)  # fmt: skip
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["seq"] == first.json()["seq"]
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    "body, status, code",
    [
        ("not json", 400, "invalid_json"),
        ("[1, 2]", 400, "invalid_request"),
        ('{"nonce": "x"}', 400, "missing_message"),
        ('{"message": "   "}', 400, "empty_message"),
        (json.dumps({"message": "x" * 5000}), 413, "message_too_long"),
        ('{"message": "hi", "nonce": 7}', 400, "invalid_nonce"),
    ],
    ids=["not-json", "not-object", "no-message", "empty", "too-long", "bad-nonce"],
)
def test_a_bad_body_is_refused_and_nothing_stored(alice, body, status, code):
    response = Client().post(
        "/api/rooms/lobby/messages/", body, "application/json", **bearer(alice)
    )
    assert (response.status_code, error_code(response)) == (status, code)
    assert not Message.objects.exists()


def test_posting_to_a_private_room_needs_membership(alice, bob):
    private_room("ops", alice)
    response = api(Client(), "post", "/api/rooms/ops/messages/", {"message": "hi"}, **bearer(bob))
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_guests_cannot_post_over_http():
    response = api(client_of(guest=True), "post", "/api/rooms/lobby/messages/", {"message": "hi"})
    assert response.status_code == 401


def test_a_bots_messages_carry_the_bot_flag_and_a_persons_dont(alice):
    robot = bot_create(username="deploy-bot", by=alice).user
    for user, text in [(robot, "deployed"), (alice, "thanks")]:
        api(Client(), "post", "/api/rooms/lobby/messages/", {"message": text}, **bearer(user))
    body = api(Client(), "get", "/api/rooms/lobby/messages/").json()
    assert [(m["user"], m["bot"]) for m in body["messages"]] == [
        ("deploy-bot", True),
        ("alice", False),
    ]


def test_posting_too_fast_is_told_to_wait(alice, settings, monkeypatch):
    monkeypatch.setattr(http_messages, "http_post_buckets", RequestBuckets())
    settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_BURST = 0.001, 2
    headers = bearer(alice)
    answers = [
        api(Client(), "post", "/api/rooms/lobby/messages/", {"message": f"m{n}"}, **headers)
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert error_code(answers[2]) == "rate_limited" and Message.objects.count() == 2
