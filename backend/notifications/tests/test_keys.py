"""Making VAPID keys: the pair works for signing pushes."""

from io import StringIO

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.test import override_settings

from notifications.keys import b64url_decode, vapid_keys_new
from notifications.models import PushSubscription
from notifications.tests.conftest import Browser, person_new
from notifications.webpush import push_send


def test_a_new_pair_has_the_browser_format():
    public_key, private_key = vapid_keys_new()
    point = b64url_decode(public_key)
    assert len(point) == 65 and point[0] == 0x04
    assert len(b64url_decode(private_key)) == 32
    assert "=" not in public_key + private_key
    assert vapid_keys_new() != (public_key, private_key)


@pytest.mark.django_db(transaction=True)
def test_a_new_pair_signs_pushes(push_service):
    public_key, private_key = vapid_keys_new()
    bob = person_new("bob")
    PushSubscription.objects.create(
        user=bob, endpoint=f"{push_service.url}/bob", **Browser.new().subscription("x")["keys"]
    )
    with override_settings(
        CHAT_VAPID_PUBLIC_KEY=public_key,
        CHAT_VAPID_PRIVATE_KEY=private_key,
        CHAT_PUSH_ALLOW_HTTP_ENDPOINTS=True,  # the test push service is on 127.0.0.1
    ):
        assert async_to_sync(push_send)(user_ids=[bob.id], payload={"title": "hi"}) == 1
    [push] = push_service.received
    assert push.headers["authorization"].endswith(f"k={public_key}")


def test_the_command_prints_environment_lines():
    out = StringIO()
    call_command("vapid_keys", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "CHAT_VAPID_PUBLIC_KEY",
        "CHAT_VAPID_PRIVATE_KEY",
    ]
    public_key, private_key = (line.split("=", 1)[1] for line in lines)
    assert len(b64url_decode(public_key)) == 65
    assert len(b64url_decode(private_key)) == 32
