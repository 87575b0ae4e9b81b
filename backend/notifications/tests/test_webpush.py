"""Sending pushes, to a real push service on 127.0.0.1: what arrives is
encrypted for the browser and signed with the server's VAPID key."""

import asyncio
import base64
import json
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import http_ece
import pytest
from asgiref.sync import async_to_sync
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.test import override_settings

from notifications.keys import b64url_decode
from notifications.models import PushSubscription
from notifications.tests.conftest import SUBJECT, Browser, browser_client, csrf, person_new
from notifications.webpush import SENDING_AT_ONCE, push_enabled, push_send

# push_send reads and writes from its own threads, as in the server: real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = {
    "title": "alice in #design",
    "body": "@bob look ☕",
    "url": "/chat/design/",
    "tag": "m-1",
}

send = async_to_sync(push_send)


def subscribed(user, browser: Browser, endpoint: str) -> None:
    """Subscribe through the API, as the page does."""
    client = browser_client(user)
    response = client.post(
        "/api/push/subscriptions/",
        json.dumps(browser.subscription(endpoint)),
        "application/json",
        headers=csrf(client),
    )
    assert response.status_code == 201


def vapid_verified(authorization: str, *, public_key: str, endpoint_origin: str) -> dict:
    """The claims of a ``vapid t=<JWT>, k=<key>`` header, its signature checked."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key
    header, claims, signature = fields["t"].split(".")
    raw = b64url_decode(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(public_key))
    try:
        key.verify(
            encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
            f"{header}.{claims}".encode(),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature:
        pytest.fail("the VAPID token is not signed with the server's key")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert decoded["aud"] == endpoint_origin
    return decoded


def test_a_push_arrives_encrypted_for_the_browser_and_signed(push_service, vapid_public_key):
    bob = person_new("bob")
    browser = Browser.new()
    subscribed(bob, browser, f"{push_service.url}/send/bob-1")

    assert send(user_ids=[bob.id], payload=PAYLOAD) == 1

    [push] = push_service.received
    assert push.path == "/send/bob-1"
    assert push.headers["ttl"] == "3600"
    assert push.headers["content-encoding"] == "aes128gcm"
    claims = vapid_verified(
        push.headers["authorization"], public_key=vapid_public_key, endpoint_origin=push_service.url
    )
    assert claims["sub"] == SUBJECT
    assert claims["exp"] > time.time()
    plain = http_ece.decrypt(
        push.body,
        private_key=browser.private_key,
        auth_secret=browser.auth_secret,
        version="aes128gcm",
    )
    assert json.loads(plain) == PAYLOAD


def test_each_subscription_of_each_person_gets_it_and_no_one_else(push_service, vapid_public_key):
    alice, bob, carol = person_new("alice"), person_new("bob"), person_new("carol")
    subscribed(alice, Browser.new(), f"{push_service.url}/alice-phone")
    subscribed(alice, Browser.new(), f"{push_service.url}/alice-laptop")
    subscribed(bob, Browser.new(), f"{push_service.url}/bob")
    subscribed(carol, Browser.new(), f"{push_service.url}/carol")

    assert send(user_ids=iter([alice.id, bob.id]), payload=PAYLOAD) == 3
    assert sorted(push.path for push in push_service.received) == [
        "/alice-laptop",
        "/alice-phone",
        "/bob",
    ]


def test_many_subscriptions_are_all_sent(push_service, vapid_public_key):
    people = [person_new(f"p{n}") for n in range(4)]
    for person in people:
        for n in range(5):
            subscribed(person, Browser.new(), f"{push_service.url}/{person.username}-{n}")
    assert send(user_ids=[person.id for person in people], payload=PAYLOAD) == 20
    assert len(push_service.received) == 20


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_removed(push_service, vapid_public_key, status):
    bob = person_new("bob")
    subscribed(bob, Browser.new(), f"{push_service.url}/gone")
    push_service.status = status
    assert send(user_ids=[bob.id], payload=PAYLOAD) == 0
    assert len(push_service.received) == 1
    assert not PushSubscription.objects.exists()


def test_a_failure_keeps_the_subscription_and_records_it(push_service, vapid_public_key, caplog):
    bob = person_new("bob")
    subscribed(bob, Browser.new(), f"{push_service.url}/secret-path")
    push_service.status = 500
    with caplog.at_level(logging.WARNING, logger="notifications.webpush"):
        assert send(user_ids=[bob.id], payload=PAYLOAD) == 0
    stored = PushSubscription.objects.get()
    assert stored.last_error.startswith("500")
    [record] = [r for r in caplog.records if r.name == "notifications.webpush"]
    assert record.exc_info is None
    assert "secret-path" not in record.getMessage()

    push_service.status = 201  # the next success clears it
    assert send(user_ids=[bob.id], payload=PAYLOAD) == 1
    stored.refresh_from_db()
    assert stored.last_error == ""


def test_an_unreachable_push_service_is_recorded(push_service, vapid_public_key):
    bob = person_new("bob")
    subscribed(bob, Browser.new(), f"{push_service.url}/bob")
    push_service.stop()
    assert send(user_ids=[bob.id], payload=PAYLOAD) == 0
    assert "ConnectionError" in PushSubscription.objects.get().last_error


def test_a_long_body_is_shortened_to_fit_a_push(push_service, vapid_public_key):
    bob = person_new("bob")
    browser = Browser.new()
    subscribed(bob, browser, f"{push_service.url}/bob")
    assert send(user_ids=[bob.id], payload={**PAYLOAD, "body": "é" * 5000}) == 1
    [push] = push_service.received
    plain = http_ece.decrypt(
        push.body, private_key=browser.private_key, auth_secret=browser.auth_secret
    )
    received = json.loads(plain)
    assert received["body"].endswith("…") and len(received["body"]) < 5000
    assert len(push.body) <= 4096


@override_settings(CHAT_VAPID_PUBLIC_KEY="", CHAT_VAPID_PRIVATE_KEY="")
def test_nothing_is_sent_when_push_is_off(push_service):
    bob = person_new("bob")
    PushSubscription.objects.create(
        user=bob, endpoint=f"{push_service.url}/bob", **Browser.new().subscription("x")["keys"]
    )
    assert not push_enabled()
    assert send(user_ids=[bob.id], payload=PAYLOAD) == 0
    assert push_service.received == []


def test_nobody_to_push_to_is_zero(vapid_public_key):
    assert push_enabled()
    assert send(user_ids=[], payload=PAYLOAD) == 0
    assert send(user_ids=[12345], payload=PAYLOAD) == 0


def test_a_broken_stored_subscription_does_not_stop_the_others(push_service, vapid_public_key):
    bob = person_new("bob")
    subscribed(bob, Browser.new(), f"{push_service.url}/good")
    PushSubscription.objects.create(
        user=bob, endpoint=f"{push_service.url}/broken", p256dh="garbage", auth="garbage"
    )
    assert send(user_ids=[bob.id], payload=PAYLOAD) == 1
    assert PushSubscription.objects.get(endpoint__endswith="/broken").last_error


def subscriptions_made(push_service, *, people: int, each: int) -> list:
    """``people`` people with ``each`` subscriptions at the push service."""
    made = [person_new(f"p{n}") for n in range(people)]
    for person in made:
        for n in range(each):
            subscribed(person, Browser.new(), f"{push_service.url}/{person.username}-{n}")
    return made


def test_pushes_of_many_messages_are_at_most_eight_at_once(push_service, vapid_public_key):
    # 5 messages with 4 subscriptions each: under any per-message limit.
    people = subscriptions_made(push_service, people=5, each=4)
    push_service.hold()
    waiting = ThreadPoolExecutor(max_workers=1)

    async def many_messages() -> tuple[bool, bool, list[int]]:
        loop = asyncio.get_running_loop()
        # A default executor large enough not to be what limits the pushes.
        loop.set_default_executor(ThreadPoolExecutor(max_workers=32))
        sends = asyncio.gather(*(push_send(user_ids=[p.id], payload=PAYLOAD) for p in people))
        try:
            full = await loop.run_in_executor(
                waiting, lambda: push_service.in_flight_reaches(SENDING_AT_ONCE, timeout=10)
            )
            # Give a ninth push a moment to arrive: none may while eight are held.
            over = await loop.run_in_executor(
                waiting, lambda: push_service.in_flight_reaches(SENDING_AT_ONCE + 1, timeout=0.5)
            )
        finally:
            push_service.release()
        return full, over, await sends

    full, over, accepted = async_to_sync(many_messages)()
    waiting.shutdown()
    assert full and not over
    assert accepted == [4] * 5
    assert push_service.most_in_flight == SENDING_AT_ONCE
    assert len(push_service.received) == 20


def test_pushes_under_way_leave_the_default_executor_free(push_service, vapid_public_key):
    people = subscriptions_made(push_service, people=2, each=2)
    push_service.hold()
    waiting = ThreadPoolExecutor(max_workers=1)

    async def meanwhile() -> tuple[str, list[int]]:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(ThreadPoolExecutor(max_workers=2))
        sends = asyncio.gather(*(push_send(user_ids=[p.id], payload=PAYLOAD) for p in people))
        try:
            held = await loop.run_in_executor(
                waiting, lambda: push_service.in_flight_reaches(2, timeout=10)
            )
            assert held
            # Held pushes must not take the threads DNS and the database adapters use.
            other_work = await asyncio.wait_for(loop.run_in_executor(None, str, "done"), 2)
        finally:
            push_service.release()
        return other_work, await sends

    other_work, accepted = async_to_sync(meanwhile)()
    waiting.shutdown()
    assert other_work == "done"
    assert accepted == [2, 2]


@dataclass
class Resolver:
    # name -> the address it resolves to, or the addresses of its next look-ups in turn
    # (the last one stays)
    names: dict[str, str | list[str]]
    threads: list[str]  # the threads that looked them up


@pytest.fixture
def resolver(monkeypatch) -> Resolver:
    """DNS with made-up names (others resolve as usual)."""
    resolver = Resolver(names={}, threads=[])
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        answer = resolver.names.get(host, host)
        if host in resolver.names:
            resolver.threads.append(threading.current_thread().name)
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        return real(answer, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return resolver


def _subscribed_at_a_name(push_service):
    """Bob, subscribed (stored as is) at push.example.test on the push service's port."""
    bob = person_new("bob")
    port = push_service.url.rsplit(":", 1)[1]
    PushSubscription.objects.create(
        user=bob,
        endpoint=f"http://push.example.test:{port}/bob",
        **Browser.new().subscription("x")["keys"],
    )
    return bob


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "169.254.169.254"])
def test_a_name_resolving_to_a_local_address_is_skipped_and_kept(
    push_service, vapid_public_key, resolver, address
):
    bob = _subscribed_at_a_name(push_service)
    resolver.names["push.example.test"] = address
    with override_settings(CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=False):
        assert send(user_ids=[bob.id], payload=PAYLOAD) == 0
    assert push_service.received == []
    assert f"resolves to {address}" in PushSubscription.objects.get().last_error
    # Looked up where the push is sent from, not on the event loop.
    assert resolver.threads and all(name.startswith("webpush") for name in resolver.threads)


def test_a_stored_endpoint_at_a_local_address_is_skipped_and_kept(push_service, vapid_public_key):
    bob = person_new("bob")
    PushSubscription.objects.create(
        user=bob, endpoint=f"{push_service.url}/bob", **Browser.new().subscription("x")["keys"]
    )
    with override_settings(CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=False):
        assert send(user_ids=[bob.id], payload=PAYLOAD) == 0
    assert push_service.received == []
    assert "local or private" in PushSubscription.objects.get().last_error


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_push_services_redirect_is_not_followed(push_service, vapid_public_key, status):
    bob = person_new("bob")
    subscribed(bob, Browser.new(), f"{push_service.url}/bob")
    push_service.status = status
    push_service.location = f"{push_service.url}/internal-admin"
    assert send(user_ids=[bob.id], payload=PAYLOAD) == 0
    assert [received.path for received in push_service.received] == ["/bob"]
    error = PushSubscription.objects.get().last_error
    assert f"answered {status}, a redirect" in error and "not followed" in error


def test_a_name_that_points_inside_once_checked_is_not_connected_to(
    push_service, vapid_public_key, resolver
):
    # DNS rebinding: the name resolves to an internet address when it is checked, and to
    # this machine a moment later, when the connection is made.
    bob = _subscribed_at_a_name(push_service)
    resolver.names["push.example.test"] = ["93.184.216.34", "127.0.0.1"]
    with override_settings(CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=False):
        assert send(user_ids=[bob.id], payload=PAYLOAD) == 0
    assert push_service.received == []
    assert "led to 127.0.0.1" in PushSubscription.objects.get().last_error
