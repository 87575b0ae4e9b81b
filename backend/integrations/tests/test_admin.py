"""Staff make bots in the admin, give them tokens (shown once), and revoke tokens and
webhooks."""

import re

import pytest
from django.contrib.messages import get_messages

from chat.tests.membership import api, client_of
from integrations.models import ApiToken, Bot, Webhook
from integrations.tokens import token_user

pytestmark = pytest.mark.django_db


def test_staff_make_a_bot_that_has_no_password(staff_client):
    response = staff_client.post("/admin/integrations/bot/add/", {"username": "deploy-bot"})
    assert response.status_code == 302, response.content
    bot = Bot.objects.get()
    assert bot.user.username == "deploy-bot" and not bot.user.has_usable_password()
    assert bot.created_by.is_staff


def test_a_bot_may_not_take_a_name_in_use(staff_client, alice):
    response = staff_client.post("/admin/integrations/bot/add/", {"username": "ALICE"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not Bot.objects.exists()


def test_a_bot_may_not_take_a_name_that_looks_like_one_in_use(staff_client, alice):
    response = staff_client.post("/admin/integrations/bot/add/", {"username": "аlice"})
    assert response.status_code == 200
    assert "looks the same" in response.content.decode()
    assert not Bot.objects.exists()


def test_a_bots_new_token_is_shown_once_and_signs_it_in_as_a_bot(staff_client):
    staff_client.post("/admin/integrations/bot/add/", {"username": "deploy-bot"})
    bot = Bot.objects.get()
    response = staff_client.post(
        "/admin/integrations/bot/",
        {"action": "make_token", "_selected_action": [bot.pk]},
        follow=True,
    )
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    secret = re.search(r"chat_[A-Za-z0-9_-]{43}", shown).group()
    user = token_user(secret)
    assert user == bot.user and user.is_bot
    assert secret not in ApiToken.objects.values_list("token_hash", flat=True)


def test_staff_revoke_someones_token(staff_client, alice):
    client = client_of(alice)
    secret = api(client, "post", "/api/tokens/", {"name": "laptop"}).json()["token"]
    token = ApiToken.objects.get()
    staff_client.post(
        "/admin/integrations/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    response = client_of(None).get("/api/rooms/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401


def test_staff_revoke_a_webhook(staff_client, alice, secret):
    api(client_of(alice), "post", "/api/rooms/secret/webhooks/", {"name": "CI"})
    hook = Webhook.objects.get()
    staff_client.post(
        "/admin/integrations/webhook/", {"action": "revoke", "_selected_action": [hook.pk]}
    )
    hook.refresh_from_db()
    assert hook.revoked_at is not None


def test_tokens_are_not_edited_in_the_admin(staff_client, alice):
    api(client_of(alice), "post", "/api/tokens/", {"name": "laptop"})
    token = ApiToken.objects.get()
    response = staff_client.post(
        f"/admin/integrations/apitoken/{token.pk}/change/", {"name": "x", "token_hash": "0" * 64}
    )
    assert response.status_code == 403
    token.refresh_from_db()
    assert token.name == "laptop"
