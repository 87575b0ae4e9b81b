"""Failed logins: a username is locked out at one address after too many wrong passwords."""

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-passphrase-1"


@pytest.fixture
def alice():
    return get_user_model().objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def staff():
    return get_user_model().objects.create_user(
        username="boss", password=PASSWORD, is_staff=True, is_superuser=True
    )


def _fail(client: Client, url: str, username: str, times: int) -> list[int]:
    return [
        client.post(url, {"login": username, "password": f"wrong-{n}"}).status_code
        for n in range(times)
    ]


def test_wrong_passwords_lock_the_login_out_with_a_message(settings, alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = _fail(client, "/accounts/login/", "alice", settings.AXES_FAILURE_LIMIT)
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed login attempts. Try again in 15 minutes." in response.content.decode()
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_for_one_username_at_one_address(settings, alice):
    get_user_model().objects.create_user(username="bob", password=PASSWORD)
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    _fail(attacker, "/accounts/login/", "alice", settings.AXES_FAILURE_LIMIT)
    # Alice from her own address, and Bob from the attacker's, still log in.
    for username, address in (("alice", "198.51.100.2"), ("bob", "203.0.113.7")):
        client = Client(REMOTE_ADDR=address)
        response = client.post("/accounts/login/", {"login": username, "password": PASSWORD})
        assert response.status_code == 302, username
        assert client.session["_auth_user_id"]


def test_a_success_before_the_limit_starts_the_count_again(settings, alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    _fail(client, "/accounts/login/", "alice", settings.AXES_FAILURE_LIMIT - 1)
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302
    client.logout()
    statuses = _fail(client, "/accounts/login/", "alice", settings.AXES_FAILURE_LIMIT - 1)
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1)


def test_the_admin_signs_in_through_the_sites_log_in(staff):
    """So its lockout and second factors apply to the admin too."""
    client = Client(REMOTE_ADDR="203.0.113.9")
    response = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_the_cool_off(settings, alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    _fail(client, "/accounts/login/", "alice", settings.AXES_FAILURE_LIMIT)
    # The failures age by the cool-off period, as if that much time had passed.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302


def test_successful_logins_are_not_recorded(alice):
    client = Client(REMOTE_ADDR="203.0.113.7")
    response = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert not AccessLog.objects.exists()
    assert not AccessAttempt.objects.exists()
