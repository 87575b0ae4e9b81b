import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from chat.tests.helpers import assert_name_refused

pytestmark = pytest.mark.django_db


def test_sign_up_logs_in_and_returns_to_the_room(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "password1": "a-long-passphrase-1",
            "password2": "a-long-passphrase-1",
            "next": "/chat/lobby/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/chat/lobby/"
    assert client.get("/chat/lobby/").context["identity"].name == "newbie"


def _sign_up(client, username: str):
    return client.post(
        "/accounts/signup/",
        {"username": username, "password1": "a-long-pass-1", "password2": "a-long-pass-1"},
    )


def test_sign_up_refuses_a_taken_username(client):
    get_user_model().objects.create_user(username="taken", password="pw-for-tests-1")
    response = _sign_up(client, "taken")
    assert response.status_code == 400
    assert "already exists" in response.content.decode()


@pytest.mark.parametrize("look_alike", ["аlice", "ＡＬＩＣＥ", "Alice", "al\u200bice", "alicе"])
def test_sign_up_refuses_a_username_that_looks_like_another(client, look_alike):
    get_user_model().objects.create_user(username="alice", password="pw-for-tests-1")
    response = _sign_up(client, look_alike)
    assert response.status_code == 400
    assert get_user_model().objects.count() == 1


def test_sign_up_refuses_a_cyrillic_look_alike_by_name(client):
    get_user_model().objects.create_user(username="alice", password="pw-for-tests-1")
    response = _sign_up(client, "аlice")
    assert response.status_code == 400
    assert "looks the same as the name of an existing account" in response.content.decode()


def test_sign_up_does_not_redirect_off_site(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "careful",
            "password1": "a-long-passphrase-1",
            "password2": "a-long-passphrase-1",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/chat/general/?welcome=1"  # where new accounts land


def test_log_in_and_out(client):
    get_user_model().objects.create_user(username="bob", password="pw-for-tests-1")
    response = client.post("/accounts/login/", {"login": "bob", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert client.get("/chat/").context["identity"].name == "bob"
    client.post("/accounts/logout/")
    assert client.get("/chat/").context["identity"] is None  # not even a guest yet


def test_header_links_to_log_in_and_sign_up_for_guests(client):
    body = client.get("/chat/").content.decode()
    assert 'id="login-link"' in body
    assert 'id="signup-link"' in body


def test_a_guest_can_pick_a_name(client):
    response = client.post("/accounts/name/", {"name": "Zoë", "next": "/chat/lobby/"})
    assert response["Location"] == "/chat/lobby/"
    assert client.get("/chat/lobby/").context["identity"].name == "Zoë"


def test_a_guest_cannot_pick_a_registered_name(client):
    get_user_model().objects.create_user(username="carol", password="pw-for-tests-1")
    assert_name_refused(client, "Carol", "belongs to a registered user")


def test_the_name_form_needs_a_csrf_token(db):
    strict = Client(enforce_csrf_checks=True)
    strict.get("/chat/")
    assert strict.post("/accounts/name/", {"name": "Sneaky"}).status_code == 403
