"""Requests that cost the server or other people something are throttled per person or
address: 429, with Retry-After (and, on the API, the error shape with retry_after)."""

import json

import pytest
from django.test import Client

from chat import ratelimit
from chat.ratelimit import THROTTLES
from chat.tests.membership import client_of, person_new

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _time_stands_still(monkeypatch):
    """No refill while a test's requests go (a login hashes a password: slow on purpose)."""
    monkeypatch.setattr(ratelimit.throttle_buckets, "clock", lambda: 1000.0)


def _throttle(name: str):
    (throttle,) = [t for t in THROTTLES if t.name == name]
    return throttle


def _burst(name: str, settings) -> int:
    return int(_throttle(name).burst * settings.CHAT_THROTTLE_SCALE)


@pytest.mark.parametrize(
    ("name", "method", "path", "body"),
    [
        # Another username each time: django-axes locks out one username at a time only.
        ("log in", "post", "/accounts/login/", {"login": "nobody-{n}", "password": "x"}),
        ("sign up", "post", "/accounts/signup/", {"username": "", "password1": "x"}),
        ("search", "get", "/search/?q=hello", None),
        ("password reset", "post", "/accounts/password/reset/", {"email": "x{n}@example.com"}),
        ("invitation links", "get", "/join/guess-{n}/", None),
    ],
)
def test_each_throttled_page_answers_429_past_its_burst_from_one_address(
    settings, name, method, path, body
):
    settings.CHAT_THROTTLE_SCALE = 1
    answers = [
        getattr(Client(), method)(path, {k: v.format(n=n) for k, v in body.items()})
        if body
        else getattr(Client(), method)(path.format(n=n))
        for n in range(_burst(name, settings) + 1)
    ]
    assert 429 not in [answer.status_code for answer in answers[:-1]]
    refused = answers[-1]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert name in refused.content.decode()


def test_the_api_answers_its_error_shape_with_retry_after(settings):
    settings.CHAT_THROTTLE_SCALE = 1
    client = client_of(person_new("alice"))
    for _ in range(_burst("search", settings)):
        assert client.get("/api/search/?q=hello").status_code != 429
    refused = client.get("/api/search/?q=hello")
    assert refused.status_code == 429
    body = json.loads(refused.content)
    assert (body["type"], body["code"]) == ("error", "rate_limited")
    assert body["retry_after"] == int(refused["Retry-After"]) >= 1


def test_signed_in_people_are_throttled_apart_behind_one_address(settings):
    settings.CHAT_THROTTLE_SCALE = 1
    alice, bob = client_of(person_new("alice")), client_of(person_new("bob"))
    for _ in range(_burst("search", settings)):
        alice.get("/search/?q=x")
    assert alice.get("/search/?q=x").status_code == 429
    assert bob.get("/search/?q=x").status_code == 200


def test_becoming_a_guest_is_throttled_only_for_visitors_without_a_session(settings):
    settings.CHAT_THROTTLE_SCALE = 1
    burst = _burst("guest", settings)
    assert [Client().post("/accounts/guest/").status_code for _ in range(burst)] == [200] * burst
    assert Client().post("/accounts/guest/").status_code == 429
    returning = client_of(guest=True)
    assert returning.post("/accounts/guest/").status_code == 200


def test_a_scale_of_zero_turns_throttling_off(settings):
    settings.CHAT_THROTTLE_SCALE = 0
    for _ in range(3 * _throttle("sign up").burst):
        assert Client().post("/accounts/signup/", {"username": ""}).status_code != 429


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("rooms", "/api/rooms/"),
        ("rooms", "/api/dms/"),
        ("tokens", "/api/tokens/"),
        ("members", "/api/rooms/lobby/members/"),
        ("invitations", "/api/rooms/lobby/invitations/"),
        ("webhooks", "/api/rooms/lobby/webhooks/"),
    ],
)
def test_each_throttled_api_write_answers_429_past_its_burst_per_person(settings, name, path):
    settings.CHAT_THROTTLE_SCALE = 1
    client = client_of(person_new("alice"))
    answers = [
        client.post(path, "{}", "application/json").status_code
        for _ in range(_burst(name, settings) + 1)
    ]
    assert 429 not in answers[:-1] and answers[-1] == 429
