"""Page views make no guest: a session is stored only when the visitor comes to chat."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/chat/", "/chat/lobby/", "/accounts/name/", "/accounts/login/"])
def test_a_page_view_by_a_new_visitor_stores_no_session(client, path):
    assert client.get(path).status_code == 200
    assert Session.objects.count() == 0


def test_a_page_view_shows_a_new_visitor_as_a_guest_without_a_name():
    assert "a guest" in Client().get("/chat/lobby/").content.decode()


def test_the_room_page_makes_its_visitor_a_guest_once():
    client = Client()
    first = client.post("/accounts/guest/").json()
    again = client.post("/accounts/guest/").json()
    assert first["guest"] and first == again
    assert Session.objects.count() == 1
    assert first["user"] in client.get("/chat/lobby/").content.decode()


def test_becoming_a_guest_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/accounts/guest/").status_code == 403
    assert Session.objects.count() == 0


def test_choosing_a_name_makes_the_guest(client):
    response = client.post("/accounts/name/", {"name": "Nadia", "next": "/chat/"})
    assert response.status_code == 302
    assert Session.objects.count() == 1
    assert "Nadia" in client.get("/chat/").content.decode()
