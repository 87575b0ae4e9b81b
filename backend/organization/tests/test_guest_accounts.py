"""Guest accounts (made by a guest invitation) read only the rooms they were added to:
not public rooms, not the directory, not public rooms' search results."""

import pytest
from channels.db import database_sync_to_async

from chat.tests.helpers import HOST, ORIGIN, ChatClient, session_cookie, user_session
from chat.tests.membership import (
    api,
    client_of,
    error_code,
    frames_until_close,
    person_new,
    post,
    private_room,
)
from organization.models import GuestAccount


def _guest_in(room_name: str, owner):
    guest = person_new("contractor")
    GuestAccount.objects.create(user=guest)
    private_room(room_name, owner, guest)
    return guest


@pytest.mark.django_db
def test_a_guest_account_reads_its_room_and_no_public_one():
    owner = person_new("owner")
    guest = _guest_in("project-x", owner)
    post("lobby", owner, "public news")
    post("project-x", owner, "project news")
    browser = client_of(guest)
    assert browser.get("/chat/project-x/").status_code == 200
    assert browser.get("/chat/lobby/").status_code == 403
    refused = api(browser, "get", "/api/rooms/lobby/messages/")
    assert refused.status_code == 403 and error_code(refused) == "forbidden"


@pytest.mark.django_db
def test_a_guest_accounts_directory_and_search_leave_public_rooms_out():
    owner = person_new("owner")
    guest = _guest_in("project-x", owner)
    post("lobby", owner, "news everywhere")
    post("project-x", owner, "news here")
    rooms = api(client_of(guest), "get", "/api/rooms/").json()["rooms"]
    assert [room["name"] for room in rooms] == ["project-x"]
    hits = api(client_of(guest), "get", "/api/search/?q=news").json()["results"]
    assert {hit["room"] for hit in hits} == {"project-x"}
    members = api(client_of(owner), "get", "/api/search/?q=news").json()["results"]
    assert {hit["room"] for hit in members} == {"project-x", "lobby"}


@pytest.mark.django_db(transaction=True)
async def test_the_websocket_refuses_a_guest_account_a_public_room(connect_room):
    owner = await database_sync_to_async(person_new)("owner")
    guest = await database_sync_to_async(_guest_in)("project-x", owner)
    key = await user_session(guest)
    tab = await connect_room("project-x", session=key)
    assert tab.identity["user"] == "contractor"
    client = ChatClient("/ws/chat/lobby/", [ORIGIN, HOST, session_cookie(key)])
    await client.connect()
    frames, code = await frames_until_close(client)
    assert [frame["code"] for frame in frames if frame["type"] == "error"] == ["forbidden"]
    assert code == 4403


@pytest.mark.django_db
def test_a_guest_account_is_deactivated_at_its_end_date():
    from datetime import timedelta

    from django.utils import timezone

    from organization.models import AuditEntry
    from organization.services import guests_expire

    owner = person_new("owner")
    now = timezone.now()
    leaving = _guest_in("project-x", owner)
    GuestAccount.objects.filter(user=leaving).update(until=now + timedelta(days=1))
    staying = person_new("staying")
    GuestAccount.objects.create(user=staying, until=now + timedelta(days=30))
    assert guests_expire(now=now) == 0
    assert guests_expire(now=now + timedelta(days=1)) == 1
    leaving.refresh_from_db()
    staying.refresh_from_db()
    assert not leaving.is_active and staying.is_active
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action, entry.target_name) == (
        "(the chat)",
        "deactivate",
        "contractor",
    )
    assert guests_expire(now=now + timedelta(days=2)) == 0  # once


@pytest.mark.django_db
def test_the_people_page_invites_a_guest_to_one_room_until_a_date():
    from organization.models import Invitation

    owner = person_new("owner", is_staff=True)
    private_room("project-x", owner)
    page = client_of(owner)
    assert "project-x" in page.get("/people/").content.decode()
    form = {"action": "invite", "role": "guest", "room": "project-x", "guest_until": "2030-01-31"}
    assert page.post("/people/", form).status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.role, invitation.room.name) == ("guest", "project-x")
    assert invitation.guest_until.date().isoformat() == "2030-01-31"
    bad = page.post("/people/", {**form, "guest_until": "next week"})
    assert bad.status_code == 400 and "Give the end date as a date" in bad.content.decode()
    assert Invitation.objects.count() == 1
