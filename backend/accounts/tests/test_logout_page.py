import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    get_user_model().objects.create_user(username="carol", password="pw-for-tests-1")
    client.post("/accounts/login/", {"login": "carol", "password": "pw-for-tests-1"})
    return client


def test_get_shows_a_log_out_button_and_logs_nobody_out(signed_in):
    response = signed_in.get("/accounts/logout/", {"next": "/chat/lobby/"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="logout-confirm"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'name="next" value="/chat/lobby/"' in body
    assert signed_in.get("/chat/").context["identity"].name == "carol"


def test_the_button_logs_out_and_returns_where_it_was_asked(signed_in):
    response = signed_in.post("/accounts/logout/", {"next": "/chat/lobby/"})
    assert response.status_code == 302
    assert response["Location"] == "/chat/lobby/"
    assert signed_in.get("/chat/").context["identity"] is None  # signed out, not a guest yet


def test_get_while_signed_out_says_so(client):
    response = client.get("/accounts/logout/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "not signed in" in body
    assert 'id="logout-confirm"' not in body


def test_get_does_not_offer_a_way_off_site(signed_in):
    body = signed_in.get("/accounts/logout/", {"next": "https://evil.example/"}).content.decode()
    assert "evil.example" not in body
