"""Personal API tokens: made once, kept hashed, listed without secrets, revoked; and
``Authorization: Bearer`` on the API, never falling back to the session."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from chat.models import Membership
from chat.tests.membership import api, client_of, error_code, person_new
from integrations.models import ApiToken
from integrations.tokens import secret_hash, token_create

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_new_token_is_shown_once_and_stored_only_as_its_hash(alice):
    response = api(client_of(alice), "post", "/api/tokens/", {"name": "deploy script"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "deploy script" and body["token"].startswith("chat_")
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.token_hash == secret_hash(body["token"])
    assert body["token"] not in {field.value_to_string(stored) for field in ApiToken._meta.fields}
    listed = api(client_of(alice), "get", "/api/tokens/").json()["tokens"]
    assert [(t["id"], t["name"]) for t in listed] == [(body["id"], "deploy script")]
    assert "token" not in listed[0] and body["token"].startswith(listed[0]["prefix"])


def test_making_a_token_needs_the_csrf_token_with_a_session(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = api(client, "post", "/api/tokens/", {"name": "x"})
    assert response.status_code == 403 and error_code(response) == "csrf_failed"
    assert not ApiToken.objects.exists()


def test_a_token_needs_a_name(alice):
    response = api(client_of(alice), "post", "/api/tokens/", {"name": "   "})
    assert response.status_code == 400 and error_code(response) == "invalid_name"


def test_guests_cannot_make_tokens():
    response = api(client_of(guest=True), "post", "/api/tokens/", {"name": "x"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("post", "/api/tokens/", {"name": "minted"}), ("get", "/api/tokens/", None),
     ("delete", "/api/tokens/{id}/", None)],
)  # fmt: skip
def test_tokens_are_managed_only_from_a_session_never_with_a_token(alice, method, path, body):
    token, secret = token_create(user=alice, name="cli")
    args = (body,) if body is not None else ()
    response = api(Client(), method, path.format(id=token.pk), *args, **bearer(secret))
    assert response.status_code == 403 and error_code(response) == "session_required"
    assert list(ApiToken.objects.values_list("name", "revoked_at")) == [("cli", None)]


def test_a_token_signs_its_user_in_on_the_api_without_csrf(alice):
    _, secret = token_create(user=alice, name="cli")
    client = Client(enforce_csrf_checks=True)
    response = api(client, "post", "/api/rooms/", {"name": "ops"}, **bearer(secret))
    assert response.status_code == 201
    assert response.json()["owner"] is True
    detail = api(client, "get", "/api/rooms/ops/", **bearer(secret)).json()
    assert detail["member"] is True


@pytest.mark.parametrize(
    "header",
    ["Bearer chat_" + "x" * 43, "Bearer not-a-token", "Basic YWxpY2U6cHc=", "Bearer "],
    ids=["unknown", "malformed", "other-scheme", "empty"],
)
def test_a_bad_token_is_401_even_with_a_valid_session(alice, header):
    client = client_of(alice)
    response = client.get("/api/rooms/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert error_code(response) == "invalid_token"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused_at_once(alice):
    token, secret = token_create(user=alice, name="cli")
    assert api(Client(), "get", "/api/rooms/", **bearer(secret)).status_code == 200
    assert api(client_of(alice), "delete", f"/api/tokens/{token.pk}/").status_code == 204
    response = api(Client(), "get", "/api/rooms/", **bearer(secret))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert api(client_of(alice), "get", "/api/tokens/").json()["tokens"] == []


def test_nobody_revokes_someone_elses_token(alice, bob):
    token, secret = token_create(user=alice, name="cli")
    response = api(client_of(bob), "delete", f"/api/tokens/{token.pk}/")
    assert response.status_code == 404 and error_code(response) == "unknown_token"
    assert api(Client(), "get", "/api/rooms/", **bearer(secret)).status_code == 200


def test_someone_elses_token_signs_in_as_them_only(alice, bob):
    _, secret = token_create(user=bob, name="cli")
    made = api(client_of(alice), "post", "/api/rooms/", {"name": "whose"}, **bearer(secret))
    assert made.status_code == 201
    owners = Membership.objects.filter(room__name="whose", is_owner=True)
    assert [m.user.username for m in owners] == ["bob"]  # Bob's, not Alice's session's


def test_a_disabled_account_s_token_is_refused():
    carol = person_new("carol")
    _, secret = token_create(user=carol, name="cli")
    carol.is_active = False
    carol.save()
    assert api(Client(), "get", "/api/rooms/", **bearer(secret)).status_code == 401


def test_last_used_is_recorded_once_a_minute(alice):
    token, secret = token_create(user=alice, name="cli")
    assert token.last_used_at is None
    api(Client(), "get", "/api/rooms/", **bearer(secret))
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api(Client(), "get", "/api/rooms/", **bearer(secret))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api(Client(), "get", "/api/rooms/", **bearer(secret))
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - timedelta(minutes=1)
    assert ApiToken.objects.get(pk=token.pk).last_used_at <= timezone.now()
