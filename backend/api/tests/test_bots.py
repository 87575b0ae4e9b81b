"""``/api/bots/``: admins make bots (a token shown once), list, rename and revoke them;
bad names and people who aren't admins are refused."""

import pytest
from django.test import Client

from chat.models import Message
from chat.tests.membership import api, client_of, error_code, person_new
from integrations.models import ApiToken, Bot
from organization.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin():
    return person_new("boss", is_staff=True)


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def bot_made(admin, username: str = "deploy-bot", **fields) -> dict:
    response = api(client_of(admin), "post", "/api/bots/", {"username": username, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def test_an_admin_makes_a_bot_whose_token_posts_as_it(admin):
    made = bot_made(admin, name="Deployer")
    assert (made["username"], made["name"], made["created_by"]) == (
        "deploy-bot",
        "Deployer",
        "boss",
    )
    response = api(Client(), "post", "/api/rooms/lobby/messages/", {"message": "deployed"},
                   **bearer(made["token"]))  # fmt: skip
    assert response.status_code == 201
    assert (response.json()["user"], response.json()["name"], response.json()["bot"]) == (
        "deploy-bot", "Deployer", True,
    )  # fmt: skip
    assert made["token"] not in ApiToken.objects.values_list("token_hash", flat=True)


def test_the_list_has_the_bots_without_their_tokens(admin):
    made = bot_made(admin)
    listed = api(client_of(admin), "get", "/api/bots/").json()["bots"]
    assert [(bot["id"], bot["username"]) for bot in listed] == [(made["id"], "deploy-bot")]
    assert "token" not in listed[0]


def test_someone_who_is_not_an_admin_is_refused(alice):
    for method, path, body in [
        ("post", "/api/bots/", {"username": "sneaky-bot"}),
        ("get", "/api/bots/", None),
    ]:
        response = api(client_of(alice), method, path, body)
        assert (response.status_code, error_code(response)) == (403, "forbidden")
    assert not Bot.objects.exists()


def test_a_token_cannot_make_bots(admin):
    from integrations.tokens import token_create

    _, secret = token_create(user=admin, name="script")
    response = api(Client(), "post", "/api/bots/", {"username": "token-bot"}, **bearer(secret))
    assert (response.status_code, error_code(response)) == (403, "session_required")
    assert not Bot.objects.exists()


@pytest.mark.parametrize(
    "username, status, code",
    [
        ("ALICE", 409, "username_taken"),
        ("аlice", 409, "username_taken"),  # a Cyrillic "а"
        ("here", 409, "username_taken"),
        ("no spaces", 400, "invalid_username"),
        ("", 400, "invalid_username"),
    ],
    ids=["taken", "looks-taken", "mentions-many", "invalid", "empty"],
)
def test_a_username_a_bot_cannot_have_is_refused(admin, alice, username, status, code):
    response = api(client_of(admin), "post", "/api/bots/", {"username": username})
    assert (response.status_code, error_code(response)) == (status, code)
    assert not Bot.objects.exists()


def test_a_display_name_it_cannot_have_makes_nothing(admin):
    response = api(client_of(admin), "post", "/api/bots/", {"username": "b", "name": "\u202ex"})
    assert (response.status_code, error_code(response)) == (400, "invalid_display_name")
    assert not Bot.objects.exists()


def test_renaming_changes_the_name_its_next_messages_show(admin):
    made = bot_made(admin)
    response = api(client_of(admin), "patch", f"/api/bots/{made['id']}/", {"name": "Shipper"})
    assert response.status_code == 200 and response.json()["name"] == "Shipper"
    posted = api(Client(), "post", "/api/rooms/lobby/messages/", {"message": "shipped"},
                 **bearer(made["token"])).json()  # fmt: skip
    assert posted["name"] == "Shipper"


def test_revoking_deactivates_the_bot_and_its_tokens(admin):
    made = bot_made(admin)
    response = api(client_of(admin), "delete", f"/api/bots/{made['id']}/")
    assert response.status_code == 204
    refused = api(Client(), "post", "/api/rooms/lobby/messages/", {"message": "still here"},
                  **bearer(made["token"]))  # fmt: skip
    assert (refused.status_code, error_code(refused)) == (401, "invalid_token")
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    assert api(client_of(admin), "get", "/api/bots/").json()["bots"] == []
    assert AuditEntry.objects.filter(target_name="deploy-bot").exists()
    assert not Message.objects.exists()


def test_an_unknown_bot_is_404(admin):
    response = api(client_of(admin), "delete", "/api/bots/999/")
    assert (response.status_code, error_code(response)) == (404, "unknown_bot")
