"""Deactivating a person (docs/api.md, docs/protocol.md): their open connections close
with ``deactivated``, their sessions, tokens and push subscriptions stop working, they
are no longer offered for mentions, their messages stay, and they can't log in; admins
only, written to the audit log."""

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client

from chat.models import Message
from chat.services.mentions import mentions_resolve
from chat.tests.helpers import HOST, ChatClient, user_session
from chat.tests.membership import api, client_of, error_code, person_new, post, private_room
from integrations.bots import bot_create
from integrations.tokens import token_create
from notifications.models import PushSubscription
from organization.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def _deactivate(by, username: str):
    return api(client_of(by), "post", f"/api/people/{username}/deactivate/")


async def _closed_deactivated(client: ChatClient) -> None:
    frame = await client.until(lambda frame: frame["type"] == "error", timeout=2)
    assert frame["code"] == "deactivated"
    assert await client.communicator.receive_output(timeout=2) == {
        "type": "websocket.close",
        "code": 4401,
    }


@pytest.fixture
def boss():
    return person_new("boss", is_staff=True)


async def test_a_deactivated_persons_open_tab_closes_within_two_seconds(connect_room, boss):
    alice = await database_sync_to_async(person_new)("alice")
    tab = await connect_room("lobby", session=await user_session(alice))
    response = await database_sync_to_async(_deactivate)(boss, "alice")
    assert response.status_code == 200
    assert response.json() == {"username": "alice", "active": False, "changed": True}
    await _closed_deactivated(tab)


async def test_a_deactivated_bots_token_socket_closes(boss):
    bot = await database_sync_to_async(bot_create)(username="deploybot", by=boss)
    _, secret = await database_sync_to_async(token_create)(user=bot.user, name="ci")
    client = ChatClient("/ws/chat/lobby/", [HOST, (b"authorization", f"Bearer {secret}".encode())])
    assert (await client.connect())[0]
    await client.read_until_ready()
    await database_sync_to_async(_deactivate)(boss, "deploybot")
    await _closed_deactivated(client)
    await client.close()


def test_deactivation_ends_the_persons_sessions_and_only_theirs(boss):
    alice, bob = person_new("alice"), person_new("bob")
    phone, laptop, bobs = client_of(alice), client_of(alice), client_of(bob)
    _deactivate(boss, "alice")
    holders = {s.get_decoded().get(SESSION_KEY) for s in Session.objects.all()}
    assert str(alice.pk) not in holders and str(bob.pk) in holders
    for browser in (phone, laptop):
        assert api(browser, "get", "/api/tokens/").status_code == 401
    assert api(bobs, "get", "/api/tokens/").status_code == 200


def test_a_deactivated_persons_api_token_answers_401(boss):
    alice = person_new("alice")
    _, secret = token_create(user=alice, name="script")
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert Client().get("/api/rooms/", **bearer).status_code == 200
    _deactivate(boss, "alice")
    assert Client().get("/api/rooms/", **bearer).status_code == 401


def test_a_deactivated_persons_push_subscriptions_are_deleted(boss):
    alice, bob = person_new("alice"), person_new("bob")
    for person in (alice, bob):
        PushSubscription.objects.create(
            user=person, endpoint=f"https://push.example/{person.username}", p256dh="k", auth="a"
        )
    _deactivate(boss, "alice")
    assert list(PushSubscription.objects.values_list("user__username", flat=True)) == ["bob"]


def test_a_deactivated_person_is_not_offered_or_counted_for_mentions(boss):
    alice, bob = person_new("alice"), person_new("bob")
    room = private_room("team", alice, bob)
    _deactivate(boss, "bob")
    members = api(client_of(alice), "get", "/api/rooms/team/members/").json()["members"]
    assert [m["username"] for m in members] == ["alice"]
    assert mentions_resolve(room_id=room.pk, texts=["hi @bob"], present=[]) == [[]]
    assert mentions_resolve(room_id=room.pk, texts=["hi @alice"], present=[]) != [[]]


def test_a_deactivated_persons_messages_stay_under_their_name(boss):
    alice = person_new("alice")
    post("lobby", alice, "before I left")
    _deactivate(boss, "alice")
    message = Message.objects.get(body="before I left")
    assert (message.author_id, message.author_name) == (alice.pk, "alice")
    page = api(client_of(boss), "get", "/api/rooms/lobby/messages/").json()
    assert [(m["user"], m["message"]) for m in page["messages"]] == [("alice", "before I left")]


def test_logging_in_as_a_deactivated_person_says_the_account_was_deactivated(boss):
    person = person_new("alice")
    person.set_password("correct horse battery")
    person.save()
    _deactivate(boss, "alice")
    browser = Client()
    response = browser.post(
        "/accounts/login/", {"login": "alice", "password": "correct horse battery"}, follow=True
    )
    assert response.status_code == 200
    assert "This account was deactivated" in response.content.decode()
    assert SESSION_KEY not in browser.session
    wrong = Client().post("/accounts/login/", {"login": "alice", "password": "guess"})
    assert "deactivated" not in wrong.content.decode()  # the password must be right


def test_a_reactivated_person_signs_in_again_and_both_changes_are_audited(boss):
    person = person_new("alice")
    _deactivate(boss, "alice")
    response = api(client_of(boss), "post", "/api/people/alice/reactivate/")
    assert response.json() == {"username": "alice", "active": True, "changed": True}
    person.refresh_from_db()
    assert person.is_active
    assert api(client_of(person), "get", "/api/tokens/").status_code == 200
    entries = api(client_of(boss), "get", "/api/audit/").json()["entries"]
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("boss", "reactivate", "alice"),
        ("boss", "deactivate", "alice"),
    ]


def test_deactivating_twice_changes_nothing_the_second_time(boss):
    person_new("alice")
    _deactivate(boss, "alice")
    assert _deactivate(boss, "alice").json()["changed"] is False
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "whom", "code", "status"),
    [
        ("member", "alice", "forbidden", 403),
        ("admin", "boss", "forbidden", 403),  # oneself
        ("admin", "owner", "forbidden", 403),  # an owner, by an admin
        ("admin", "nobody", "unknown_person", 404),
    ],
)
def test_refused_deactivations_change_nothing(boss, who, whom, code, status):
    member = person_new("alice")
    person_new("owner", is_superuser=True, is_staff=True)
    response = _deactivate(boss if who == "admin" else member, whom)
    assert response.status_code == status and error_code(response) == code
    assert not AuditEntry.objects.exists()
    assert all(person.is_active for person in type(member).objects.all())


def test_the_audit_log_is_for_admins_only(boss):
    alice = person_new("alice")
    response = api(client_of(alice), "get", "/api/audit/")
    assert response.status_code == 403 and error_code(response) == "forbidden"
    assert api(Client(), "get", "/api/audit/").status_code == 401


async def test_unticking_active_in_djangos_admin_deactivates_the_same_way(connect_room):
    owner = await database_sync_to_async(person_new)("owner", is_staff=True, is_superuser=True)
    alice = await database_sync_to_async(person_new)("alice")
    tab = await connect_room("lobby", session=await user_session(alice))

    def untick() -> int:
        admin = client_of(owner)
        form = {"username": "alice", "is_staff": "", "is_superuser": "", "is_active": ""}
        form |= {"date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
        response = admin.post(f"/admin/auth/user/{alice.pk}/change/", form)
        assert response.status_code == 302, response.content.decode()[:2000]
        return Session.objects.count()

    sessions_left = await database_sync_to_async(untick)()
    await _closed_deactivated(tab)
    assert sessions_left == 1  # the admin's own
    entry = await database_sync_to_async(AuditEntry.objects.get)()
    assert (entry.actor_name, entry.action, entry.target_name) == ("owner", "deactivate", "alice")


def test_the_people_page_is_for_admins_and_deactivates_from_a_button(boss):
    alice = person_new("alice")
    assert client_of(alice).get("/people/").status_code == 403
    page = client_of(boss)
    listed = page.get("/people/")
    assert listed.status_code == 200 and 'data-username="alice"' in listed.content.decode()
    response = page.post("/people/", {"username": "alice", "action": "deactivate"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    assert "deactivated" in page.get("/people/").content.decode()


def test_admins_list_people_with_role_status_and_second_factor(boss):
    from allauth.mfa.models import Authenticator

    alice = person_new("alice")
    Authenticator.objects.create(user=alice, type=Authenticator.Type.TOTP, data={})
    _deactivate(boss, "alice")
    listed = api(client_of(boss), "get", "/api/people/").json()["people"]
    assert [(p["username"], p["role"], p["active"], p["second_factor"]) for p in listed] == [
        ("alice", "member", False, True),
        ("boss", "admin", True, False),
    ]


def test_an_admin_changes_a_role_and_it_is_audited(boss):
    alice = person_new("alice")
    response = api(client_of(boss), "post", "/api/people/alice/role/", {"role": "admin"})
    assert response.json()["changed"] is True
    alice.refresh_from_db()
    assert alice.is_staff
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_name, entry.detail) == ("role", "alice", "admin")
    refused = api(client_of(boss), "post", "/api/people/alice/role/", {"role": "owner"})
    assert refused.status_code == 400 and error_code(refused) == "invalid_role"


def test_an_admin_resets_a_lost_second_factor(boss):
    from allauth.mfa.models import Authenticator

    alice = person_new("alice")
    Authenticator.objects.create(user=alice, type=Authenticator.Type.TOTP, data={})
    assert api(client_of(boss), "post", "/api/people/alice/mfa/reset/").json()["changed"]
    assert not Authenticator.objects.filter(user=alice).exists()
    assert AuditEntry.objects.get().action == "reset_mfa"
