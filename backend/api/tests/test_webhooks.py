"""Incoming webhooks over the API: renaming one, Slack's body shapes at the hook's URL
(JSON text, blocks, a form's payload), and the card of a message's bot or webhook."""

import json
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client

from chat.models import Message
from chat.tests.membership import api, client_of, error_code, person_new, post
from integrations.bots import bot_create
from integrations.models import Webhook
from integrations.tokens import token_create

pytestmark = pytest.mark.django_db(transaction=True)

FORM = "application/x-www-form-urlencoded"


def hook_made(user, room: str = "secret", name: str = "CI") -> tuple[int, str]:
    response = api(client_of(user), "post", f"/api/rooms/{room}/webhooks/", {"name": name})
    assert response.status_code == 201, response.content
    return response.json()["id"], urlsplit(response.json()["url"]).path


def posted_html() -> str:
    return Message.objects.get().html


# --- renaming ---------------------------------------------------------------------------------


def test_a_member_renames_a_webhook_and_its_next_message_shows_the_new_name(alice, secret):
    hook_id, path = hook_made(alice)
    response = api(client_of(alice), "patch", f"/api/rooms/secret/webhooks/{hook_id}/",
                   {"name": "Builds"})  # fmt: skip
    assert response.status_code == 200 and response.json()["name"] == "Builds"
    assert api(Client(), "post", path, {"text": "green"}).json()["user"] == "Builds"


def test_a_webhook_cannot_be_renamed_to_a_username(alice, secret):
    hook_id, _ = hook_made(alice)
    response = api(client_of(alice), "patch", f"/api/rooms/secret/webhooks/{hook_id}/",
                   {"name": "Bob"})  # fmt: skip
    assert (response.status_code, error_code(response)) == (400, "invalid_name")
    assert Webhook.objects.get().name == "CI"


def test_someone_outside_the_room_cannot_rename_its_webhook(alice, secret):
    hook_id, _ = hook_made(alice)
    response = api(client_of(person_new("carol")), "patch",
                   f"/api/rooms/secret/webhooks/{hook_id}/", {"name": "Mine"})  # fmt: skip
    assert (response.status_code, error_code(response)) == (403, "forbidden")


def test_a_revoked_webhook_is_not_renamed(alice, secret):
    hook_id, _ = hook_made(alice)
    api(client_of(alice), "delete", f"/api/rooms/secret/webhooks/{hook_id}/")
    response = api(client_of(alice), "patch", f"/api/rooms/secret/webhooks/{hook_id}/",
                   {"name": "Again"})  # fmt: skip
    assert (response.status_code, error_code(response)) == (410, "webhook_revoked")


def test_renaming_an_unknown_webhook_is_404(alice, secret):
    response = api(client_of(alice), "patch", "/api/rooms/secret/webhooks/999/", {"name": "X"})
    assert (response.status_code, error_code(response)) == (404, "unknown_webhook")


# --- Slack's shapes ---------------------------------------------------------------------------


def test_slacks_links_and_mentions_in_the_text_become_ours(alice, secret):
    _, path = hook_made(alice)
    text = "build <https://ci.example/7|number 7> passed, <@U1|bob>"
    assert api(Client(), "post", path, {"text": text}).status_code == 201
    html = posted_html()
    assert '<a href="https://ci.example/7"' in html and ">number 7</a>" in html
    assert "passed, @bob" in html


def test_blocks_are_the_message_and_the_text_only_their_fallback(alice, secret):
    _, path = hook_made(alice)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Deploy"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*prod* is ~down~ up"},
         "fields": [{"type": "mrkdwn", "text": "_v2_"}]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "plain_text", "text": "by *ci*"}]},
        {"type": "actions", "elements": [{"type": "button"}]},
        {"type": "rich_text", "elements": [
            {"type": "rich_text_section", "elements": [
                {"type": "text", "text": "see "},
                {"type": "link", "url": "https://ci.example/", "text": "the log"},
            ]},
            {"type": "rich_text_list", "style": "bullet", "elements": [
                {"type": "rich_text_section", "elements": [
                    {"type": "text", "text": "fast", "style": {"bold": True}}]},
            ]},
        ]},
    ]  # fmt: skip
    response = api(Client(), "post", path, {"text": "Deploy finished", "blocks": blocks})
    assert response.status_code == 201
    html = posted_html()
    assert "Deploy finished" not in html
    for shown in (
        "<strong>Deploy</strong>",
        "<strong>prod</strong> is <s>down</s> up",
        "<em>v2</em>",
        "———",
        "by *ci*",  # plain text stays as written
        ">the log</a>",
        '<li dir="auto"><strong>fast</strong></li>',
    ):
        assert shown in html, (shown, html)


def test_blocks_with_nothing_to_show_leave_the_text(alice, secret):
    _, path = hook_made(alice)
    body = {"text": "fallback", "blocks": [{"type": "actions", "elements": []}]}
    assert api(Client(), "post", path, body).status_code == 201
    assert Message.objects.get().body == "fallback"


def test_blocks_alone_are_enough(alice, secret):
    _, path = hook_made(alice)
    body = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "only blocks"}}]}
    assert api(Client(), "post", path, body).status_code == 201
    assert Message.objects.get().body == "only blocks"


@pytest.mark.parametrize(
    "body, code",
    [
        ({"blocks": "section"}, "invalid_blocks"),
        ({"blocks": ["section"]}, "invalid_blocks"),
        ({"blocks": [{"type": "section", "text": "not an object"}]}, "invalid_blocks"),
        ({"blocks": [{"type": "actions", "elements": []}]}, "missing_text"),
    ],
    ids=["not-a-list", "not-an-object", "bad-text", "nothing-to-show"],
)
def test_blocks_that_are_not_slacks_are_refused(alice, secret, body, code):
    _, path = hook_made(alice)
    response = api(Client(), "post", path, body)
    assert (response.status_code, error_code(response)) == (400, code)
    assert not Message.objects.exists()


def test_a_forms_payload_is_posted_as_slacks_webhooks_take_it(alice, secret):
    _, path = hook_made(alice)
    form = urlencode({"payload": json.dumps({"text": "from a *form*"})})
    response = Client().post(path, form, FORM)
    assert response.status_code == 201, response.content
    assert Message.objects.get().body == "from a *form*"


def test_json_sent_with_a_forms_type_is_posted(alice, secret):
    _, path = hook_made(alice)
    response = Client().post(path, '{"text": "curl -d"}', FORM)
    assert response.status_code == 201 and Message.objects.get().body == "curl -d"


@pytest.mark.parametrize(
    "form, code",
    [
        ("text=hello", "missing_payload"),
        ("payload=%7Bnot+json", "invalid_json"),
        ("payload=%5B1%5D", "invalid_request"),
        ("payload=%7B%7D", "missing_text"),
    ],
    ids=["no-payload", "not-json", "not-an-object", "no-text"],
)
def test_a_form_without_a_message_in_its_payload_is_refused(alice, secret, form, code):
    _, path = hook_made(alice)
    response = Client().post(path, form, FORM)
    assert (response.status_code, error_code(response)) == (400, code)
    assert not Message.objects.exists()


# --- the card of a message's bot or webhook ---------------------------------------------------


def test_a_webhooks_message_tells_what_posted_it(alice, secret):
    _, path = hook_made(alice)
    seq = api(Client(), "post", path, {"text": "hi"}).json()["seq"]
    card = api(client_of(alice), "get", f"/api/rooms/secret/messages/{seq}/integration/").json()
    assert {k: card[k] for k in ("kind", "name", "room", "created_by", "active")} == {
        "kind": "webhook", "name": "CI", "room": "secret", "created_by": "alice", "active": True,
    }  # fmt: skip
    assert card["created"]


def test_a_bots_message_tells_what_posted_it(alice):
    bot = bot_create(username="deploy-bot", name="Deployer", by=alice)
    _, secret = token_create(user=bot.user, name="ci")
    seq = api(Client(), "post", "/api/rooms/lobby/messages/", {"message": "done"},
              HTTP_AUTHORIZATION=f"Bearer {secret}").json()["seq"]  # fmt: skip
    card = api(Client(), "get", f"/api/rooms/lobby/messages/{seq}/integration/").json()
    assert {k: card[k] for k in ("kind", "name", "username", "created_by", "active")} == {
        "kind": "bot", "name": "Deployer", "username": "deploy-bot", "created_by": "alice",
        "active": True,
    }  # fmt: skip


def test_a_persons_message_has_no_integration_card(alice):
    message = post("lobby", alice)
    response = api(Client(), "get", f"/api/rooms/lobby/messages/{message.seq}/integration/")
    assert (response.status_code, error_code(response)) == (400, "not_an_integration")


def test_the_card_of_a_private_rooms_webhook_is_for_those_who_read_the_room(alice, secret):
    _, path = hook_made(alice)
    seq = api(Client(), "post", path, {"text": "hi"}).json()["seq"]
    response = api(client_of(person_new("carol")), "get",
                   f"/api/rooms/secret/messages/{seq}/integration/")  # fmt: skip
    assert response.status_code == 403
