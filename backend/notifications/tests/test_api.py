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


@override_settings(CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=False)
@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1:8443/x",
        "https://10.0.0.5/x",
        "https://192.168.1.1/x",
        "https://172.16.0.1/x",
        "https://169.254.169.254/x",
        "https://0.0.0.0/x",
        "https://224.0.0.1/x",
        "https://240.0.0.1/x",
        "https://[::1]/x",
        "https://[::]/x",
        "https://[fe80::1]/x",
        "https://[fc00::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://localhost/x",
        "https://LOCALHOST:8443/x",
        "https://push.localhost/x",
    ],
)
def test_an_endpoint_on_this_machine_or_a_private_network_is_refused(endpoint):
    response = subscribe(browser_client(person_new("alice")), Browser.new().subscription(endpoint))
    assert response.status_code == 400
    assert error_code(response) == "invalid_subscription"
    assert "push services are on the internet" in response.json()["detail"]
    assert not PushSubscription.objects.exists()


@override_settings(CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=False)
@pytest.mark.parametrize(
    "endpoint",
    [
        ENDPOINT,
        "https://8.8.8.8/x",
        "https://[2001:4860:4860::8888]/x",
        "https://localhost.example.com/x",
    ],
)
def test_an_endpoint_on_the_internet_is_taken(endpoint):
    body = Browser.new().subscription(endpoint)
    assert subscribe(browser_client(person_new("alice")), body).status_code == 201


@override_settings(CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=True)
@pytest.mark.parametrize("endpoint", ["https://127.0.0.1:8443/x", "https://localhost/x"])
def test_local_endpoints_are_taken_when_allowed_for_tests(endpoint):
    body = Browser.new().subscription(endpoint)
    assert subscribe(browser_client(person_new("alice")), body).status_code == 201


def endpoints_of(user) -> set[str]:
    return set(PushSubscription.objects.filter(user=user).values_list("endpoint", flat=True))


@override_settings(CHAT_PUSH_SUBSCRIPTIONS_MAX=10)
def test_an_eleventh_browser_replaces_the_oldest():
    alice, bob = person_new("alice"), person_new("bob")
    alice_client, bob_client = browser_client(alice), browser_client(bob)
    subscribe(bob_client, Browser.new().subscription(ENDPOINT + "-bob"))
    for n in range(10):
        assert (
            subscribe(alice_client, Browser.new().subscription(f"{ENDPOINT}-{n}")).status_code
            == 201
        )
    assert len(endpoints_of(alice)) == 10

    assert subscribe(alice_client, Browser.new().subscription(f"{ENDPOINT}-10")).status_code == 201
    assert endpoints_of(alice) == {f"{ENDPOINT}-{n}" for n in range(1, 11)}
    assert endpoints_of(bob) == {ENDPOINT + "-bob"}


@override_settings(CHAT_PUSH_SUBSCRIPTIONS_MAX=3)
def test_a_browser_subscribing_again_is_no_longer_the_oldest():
    alice = person_new("alice")
    client = browser_client(alice)
    first = Browser.new().subscription(f"{ENDPOINT}-0")
    subscribe(client, first)
    subscribe(client, Browser.new().subscription(f"{ENDPOINT}-1"))
    subscribe(client, Browser.new().subscription(f"{ENDPOINT}-2"))
    assert subscribe(client, first).status_code == 200  # the page sends it at each visit

    subscribe(client, Browser.new().subscription(f"{ENDPOINT}-3"))
    assert endpoints_of(alice) == {f"{ENDPOINT}-0", f"{ENDPOINT}-2", f"{ENDPOINT}-3"}


@override_settings(CHAT_PUSH_SUBSCRIPTIONS_MAX=2)
def test_a_browser_taken_over_counts_towards_its_new_owner():
    alice, bob = person_new("alice"), person_new("bob")
    alice_client, bob_client = browser_client(alice), browser_client(bob)
    shared = Browser.new().subscription(f"{ENDPOINT}-shared")
    subscribe(alice_client, shared)
    subscribe(bob_client, Browser.new().subscription(f"{ENDPOINT}-bob-0"))
    subscribe(bob_client, Browser.new().subscription(f"{ENDPOINT}-bob-1"))

    assert subscribe(bob_client, shared).status_code == 200
    assert endpoints_of(bob) == {f"{ENDPOINT}-bob-1", f"{ENDPOINT}-shared"}
    assert endpoints_of(alice) == set()


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
