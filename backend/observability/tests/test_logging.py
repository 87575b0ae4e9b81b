"""Log lines keep no secret a request's path carried."""

import logging

import pytest
from django.test import Client

from chat.tests.membership import api, client_of
from integrations.models import Webhook

pytestmark = pytest.mark.django_db


def _logged_text(caplog) -> str:
    return "\n".join(
        f"{record.getMessage()} {getattr(record, 'request', '')}" for record in caplog.records
    )


def test_a_refused_webhook_post_is_logged_without_its_secret(alice, secret, caplog):
    client = client_of(alice)
    url = api(client, "post", "/api/rooms/secret/webhooks/", {"name": "CI"}).json()["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    hook_secret = path.rstrip("/").rsplit("/", 1)[1]
    hook = Webhook.objects.get()
    api(client, "delete", f"/api/rooms/secret/webhooks/{hook.pk}/")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = api(Client(), "post", f"/{path}", {"text": "hi"})
    assert response.status_code == 410
    logged = _logged_text(caplog)
    assert "/api/hooks/…" in logged
    assert hook_secret not in logged


def test_an_unknown_invitation_link_is_logged_without_its_token(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/invite/a-secret-invitation-token/")
    assert response.status_code >= 400
    logged = _logged_text(caplog)
    assert "a-secret-invitation-token" not in logged
    assert "/invite/…" in logged
