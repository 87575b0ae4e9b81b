"""Fixtures of the Web Push tests: a local push service, the server's VAPID
keys, and browsers' subscriptions."""

import os
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from notifications.keys import b64url_encode, public_key_encode, vapid_keys_new
from notifications.tests.push_service import PushService

SUBJECT = "mailto:push-tests@example.com"


@dataclass
class Browser:
    """A browser's side of a subscription: its key pair and auth secret."""

    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @classmethod
    def new(cls) -> "Browser":
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    def subscription(self, endpoint: str) -> dict:
        """What ``PushSubscription.toJSON()`` gives."""
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {
                "p256dh": public_key_encode(public_key=self.private_key.public_key()),
                "auth": b64url_encode(self.auth_secret),
            },
        }


@pytest.fixture
def push_service():
    service = PushService().start()
    yield service
    service.stop()


@pytest.fixture
def vapid_public_key():
    """Push on, with a new key pair, and local (http) push endpoints allowed."""
    public_key, private_key = vapid_keys_new()
    with override_settings(
        CHAT_VAPID_PUBLIC_KEY=public_key,
        CHAT_VAPID_PRIVATE_KEY=private_key,
        CHAT_VAPID_SUBJECT=SUBJECT,
        CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=True,
    ):
        yield public_key


def person_new(username: str):
    return get_user_model().objects.create_user(username=username, password="pw-for-tests-1")


def browser_client(user=None) -> Client:
    """A client that checks CSRF as for a browser, holding the CSRF cookie (and
    signed in as ``user``); requests send the token with ``headers=csrf(client)``."""
    client = Client(enforce_csrf_checks=True)
    assert client.get(reverse("login")).status_code == 200  # sets the CSRF cookie
    if user is not None:
        client.force_login(user)
    return client


def csrf(client: Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"].value}
