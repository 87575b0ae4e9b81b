"""Helpers of the Web Push tests: browsers' subscriptions and clients (the local push
service and the server's VAPID keys are fixtures of backend/conftest.py)."""

import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from notifications.keys import b64url_encode, public_key_encode
from notifications.tests.push_service import SUBJECT  # noqa: F401  (the tests check it)


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
