"""The account page of API tokens: make one (shown once), see them listed, revoke one."""

import re

import pytest

from chat.tests.membership import client_of, person_new
from integrations.models import ApiToken

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'<code id="new-token">(chat_[A-Za-z0-9_-]{43})</code>')


def test_a_new_token_is_shown_once(alice):
    client = client_of(alice)
    page = client.post("/accounts/tokens/", {"name": "deploy script"}, follow=True)
    secret = TOKEN.search(page.content.decode()).group(1)
    assert client.get("/api/rooms/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    again = client.get("/accounts/tokens/").content.decode()
    assert secret not in again and "deploy script" in again


def test_a_token_is_listed_by_name_and_prefix_and_revoked(alice):
    client = client_of(alice)
    client.post("/accounts/tokens/", {"name": "laptop"})
    token = ApiToken.objects.get()
    page = client.get("/accounts/tokens/").content.decode()
    assert token.prefix in page and "never" in page
    client.post("/accounts/tokens/", {"revoke": str(token.pk)})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "laptop" not in client.get("/accounts/tokens/").content.decode()


def test_a_token_needs_a_name(alice):
    response = client_of(alice).post("/accounts/tokens/", {"name": "   "})
    assert response.status_code == 400
    assert "Give the token a name" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_no_one_revokes_someone_elses_token(alice):
    client_of(alice).post("/accounts/tokens/", {"name": "laptop"})
    token = ApiToken.objects.get()
    response = client_of(person_new("mallory")).post("/accounts/tokens/", {"revoke": token.pk})
    assert response.status_code == 400
    token.refresh_from_db()
    assert token.revoked_at is None


def test_guests_are_sent_to_log_in():
    response = client_of(guest=True).get("/accounts/tokens/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
