"""The Web Push endpoints: the key, subscribing and unsubscribing."""

import json

import pytest
from django.test import Client, override_settings

from notifications.models import PushSubscription
from notifications.tests.conftest import Browser, browser_client, csrf, person_new

pytestmark = pytest.mark.django_db

ENDPOINT = "https://push.example.com/send/abc"


def subscribe(client: Client, body: dict):
    return client.post(
        "/api/push/subscriptions/", json.dumps(body), "application/json", headers=csrf(client)
    )


def unsubscribe(client: Client, endpoint: str):
    return client.delete(
        "/api/push/subscriptions/",
        json.dumps({"endpoint": endpoint}),
        "application/json",
        headers=csrf(client),
    )


def error_code(response) -> str:
    body = response.json()
    assert body["type"] == "error" and body["detail"]
    return body["code"]


@override_settings(CHAT_VAPID_PUBLIC_KEY="", CHAT_VAPID_PRIVATE_KEY="")
def test_the_key_is_null_when_push_is_off():
    response = Client().get("/api/push/key/")
    assert response.status_code == 200
    assert response.json() is None


def test_the_key_is_the_configured_public_key(vapid_public_key):
    response = Client().get("/api/push/key/")
    assert response.status_code == 200
    assert response.json() == {"public_key": vapid_public_key}


def test_visitors_may_not_subscribe():
    response = subscribe(browser_client(), Browser.new().subscription(ENDPOINT))
    assert response.status_code == 401
    assert error_code(response) == "sign_in_required"


def test_subscribing_needs_the_csrf_token():
    client = browser_client(person_new("alice"))
    response = client.post(
        "/api/push/subscriptions/",
        json.dumps(Browser.new().subscription(ENDPOINT)),
        "application/json",
    )
    assert response.status_code == 403
    assert error_code(response) == "csrf_failed"
    assert not PushSubscription.objects.exists()


def test_a_new_endpoint_is_created_then_known():
    alice = person_new("alice")
    client = browser_client(alice)
    body = Browser.new().subscription(ENDPOINT)
    first = subscribe(client, body)
    assert first.status_code == 201
    assert first.json() == {"endpoint": ENDPOINT}
    again = subscribe(client, body)
    assert again.status_code == 200
    [stored] = PushSubscription.objects.all()
    assert stored.user == alice
    assert stored.p256dh == body["keys"]["p256dh"]
    assert stored.auth == body["keys"]["auth"]


def test_subscribing_a_known_endpoint_moves_it_with_its_new_keys():
    subscribe(browser_client(person_new("alice")), Browser.new().subscription(ENDPOINT))
    bob = person_new("bob")
    body = Browser.new().subscription(ENDPOINT)
    assert subscribe(browser_client(bob), body).status_code == 200
    [stored] = PushSubscription.objects.all()
    assert stored.user == bob
    assert (stored.p256dh, stored.auth) == (body["keys"]["p256dh"], body["keys"]["auth"])


def with_keys(**keys) -> dict:
    body = Browser.new().subscription(ENDPOINT)
    body["keys"].update(keys)
    return body


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": ENDPOINT},
        {"endpoint": ENDPOINT, "keys": None},
        with_keys(p256dh=""),
        with_keys(auth=None),
        with_keys(p256dh="not base64 !!"),
        with_keys(p256dh="BAAA"),  # too short
        with_keys(p256dh="A" * 87),  # 65 bytes, not starting 0x04
        with_keys(auth="c2hvcnQ"),  # 5 bytes
        {**Browser.new().subscription(ENDPOINT), "endpoint": ""},
        {**Browser.new().subscription(ENDPOINT), "endpoint": "not a url"},
        {**Browser.new().subscription(ENDPOINT), "endpoint": "ftp://push.example.com/x"},
        {**Browser.new().subscription(ENDPOINT), "endpoint": "https://x.example/" + "a" * 1000},
    ],
)
def test_a_garbled_subscription_is_refused(body):
    response = subscribe(browser_client(person_new("alice")), body)
    assert response.status_code == 400
    assert error_code(response) == "invalid_subscription"
    assert not PushSubscription.objects.exists()


@override_settings(CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=False)
def test_an_http_endpoint_is_refused():
    body = Browser.new().subscription("http://push.example.com/send/abc")
    response = subscribe(browser_client(person_new("alice")), body)
    assert response.status_code == 400
    assert error_code(response) == "invalid_subscription"
    assert "https://" in response.json()["detail"]


@override_settings(CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=True)
def test_an_http_endpoint_is_taken_when_allowed():
    body = Browser.new().subscription("http://127.0.0.1:9/send/abc")
    assert subscribe(browser_client(person_new("alice")), body).status_code == 201


def test_unsubscribing_removes_only_your_own():
    alice, bob = browser_client(person_new("alice")), browser_client(person_new("bob"))
    subscribe(alice, Browser.new().subscription(ENDPOINT))
    subscribe(bob, Browser.new().subscription(ENDPOINT + "-bob"))

    response = unsubscribe(alice, ENDPOINT + "-bob")
    assert response.status_code == 204
    assert PushSubscription.objects.filter(endpoint=ENDPOINT + "-bob").exists()

    assert unsubscribe(alice, ENDPOINT).status_code == 204
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [ENDPOINT + "-bob"]


def test_unsubscribing_an_unknown_endpoint_is_fine():
    assert unsubscribe(browser_client(person_new("alice")), ENDPOINT).status_code == 204


def test_visitors_may_not_unsubscribe():
    response = unsubscribe(browser_client(), ENDPOINT)
    assert response.status_code == 401
    assert error_code(response) == "sign_in_required"
