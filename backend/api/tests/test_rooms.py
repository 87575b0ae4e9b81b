"""The rooms API (docs/api.md): making rooms, members, direct messages, read marks,
invitations, and the refusals of each."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chat.models import Invitation, Membership, Room
from chat.services import ActionRefused
from chat.tests.membership import (
    api,
    client_of,
    dm_room,
    error_code,
    person_new,
    post,
    private_room,
)

pytestmark = pytest.mark.django_db


def is_member(username: str, room_name: str) -> bool:
    return Membership.objects.filter(room__name=room_name, user__username=username).exists()


# --- CSRF -------------------------------------------------------------------------------------


def test_a_change_without_the_csrf_token_is_refused(secret, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.delete("/api/rooms/secret/members/bob/")
    assert response.status_code == 403
    assert error_code(response) == "csrf_failed"
    assert is_member("bob", "secret")


def test_a_change_with_the_csrf_token_is_made(secret, alice):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")  # sets the CSRF cookie
    client.force_login(alice)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.delete("/api/rooms/secret/members/bob/", headers={"X-CSRFToken": token})
    assert response.status_code == 204
    assert not is_member("bob", "secret")


# --- bodies that aren't what an endpoint takes -----------------------------------------------


def test_a_body_without_a_field_it_needs_is_a_400_naming_the_field(alice):
    response = api(client_of(alice), "post", "/api/rooms/", {"private": True})
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"
    assert "“name”" in response.json()["detail"]


def test_a_field_of_the_wrong_type_is_a_400_naming_the_field(secret, alice):
    response = api(client_of(alice), "post", "/api/rooms/secret/read/", {"seq": "soon"})
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"
    assert "“seq”" in response.json()["detail"]


def test_a_body_that_is_not_json_is_a_400(alice):
    response = client_of(alice).post("/api/rooms/", "{not json", "application/json")
    assert response.status_code == 400
    assert error_code(response) == "invalid_request"


# --- making rooms -----------------------------------------------------------------------------


def test_making_a_room_answers_201_with_its_owner(alice):
    response = api(client_of(alice), "post", "/api/rooms/", {"name": "plans", "private": True})
    assert response.status_code == 201
    room = response.json()
    assert (room["name"], room["kind"], room["private"]) == ("plans", "private", True)
    assert (room["member"], room["owner"], room["messages"]) == (True, True, 0)


def test_a_room_is_public_unless_asked(alice):
    response = api(client_of(alice), "post", "/api/rooms/", {"name": "open"})
    assert response.status_code == 201
    assert response.json()["kind"] == "public"


@pytest.mark.parametrize("private", [False, True], ids=["public", "private"])
def test_a_room_name_taken_is_refused_with_room_taken(alice, bob, private):
    if private:
        private_room("taken", bob)
    else:
        Room.objects.create(name="taken")
    response = api(client_of(alice), "post", "/api/rooms/", {"name": "taken", "private": True})
    assert response.status_code == 409
    assert error_code(response) == "room_taken"


def test_an_existing_dms_name_is_refused_as_reserved_without_telling_it_exists(alice, bob):
    carol = person_new("carol")
    taken = dm_room(alice, bob).name
    free = f"dm-{carol.pk}-{carol.pk + 100}"
    answers = [
        api(client_of(carol), "post", "/api/rooms/", {"name": name, "private": True})
        for name in (taken, free)
    ]
    assert [(r.status_code, error_code(r)) for r in answers] == [(400, "reserved_name")] * 2
    assert answers[0].json()["detail"] == answers[1].json()["detail"]


def test_a_bad_room_name_is_refused_saying_why(alice):
    response = api(client_of(alice), "post", "/api/rooms/", {"name": "semi;colon"})
    assert response.status_code == 400
    assert error_code(response) == "invalid_room"
    assert "can't be used" in response.json()["detail"]


def test_a_dm_like_name_is_reserved(alice):
    response = api(client_of(alice), "post", "/api/rooms/", {"name": "dm-1-2", "private": True})
    assert response.status_code == 400
    assert error_code(response) == "reserved_name"
    assert not Room.objects.filter(name="dm-1-2").exists()


@pytest.mark.parametrize("guest", [True, False], ids=["guest", "visitor"])
def test_only_signed_in_people_make_rooms(guest):
    response = api(client_of(guest=guest), "post", "/api/rooms/", {"name": "plans"})
    assert response.status_code == 401
    assert error_code(response) == "sign_in_required"
    assert not Room.objects.exists()


def test_a_free_valid_name_reads_as_an_empty_public_room():
    response = client_of().get("/api/rooms/somewhere/")
    assert response.status_code == 200
    assert (response.json()["kind"], response.json()["messages"]) == ("public", 0)


# --- members ----------------------------------------------------------------------------------


def test_adding_a_member_answers_201_then_200(secret, alice):
    person_new("carol")
    client = client_of(alice)
    first = api(client, "post", "/api/rooms/secret/members/", {"username": "carol"})
    again = api(client, "post", "/api/rooms/secret/members/", {"username": "carol"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == {"username": "carol", "owner": False, "display_name": ""}
    assert is_member("carol", "secret")


def test_someone_in_too_many_private_rooms_is_not_added_to_more(secret, alice, settings):
    settings.CHAT_PRIVATE_ROOMS_PER_PERSON_MAX = 2
    carol = person_new("carol")
    private_room("carols-own", carol)
    private_room("another", alice, carol)
    response = api(client_of(alice), "post", "/api/rooms/secret/members/", {"username": "carol"})
    assert (response.status_code, error_code(response)) == (409, "too_many_rooms")
    assert "invitation" in response.json()["detail"]
    assert not is_member("carol", "secret")


def test_a_member_who_is_no_owner_may_add_people(secret, bob):
    person_new("carol")
    response = api(client_of(bob), "post", "/api/rooms/secret/members/", {"username": "carol"})
    assert response.status_code == 201


def test_a_non_member_may_not_add_people(secret):
    carol = person_new("carol")
    response = api(client_of(carol), "post", "/api/rooms/secret/members/", {"username": "carol"})
    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    assert not is_member("carol", "secret")


def test_members_are_not_added_to_public_rooms(alice):
    person_new("carol")
    client = client_of(alice)
    api(client, "post", "/api/rooms/", {"name": "open"})
    response = api(client, "post", "/api/rooms/open/members/", {"username": "carol"})
    assert response.status_code == 400
    assert error_code(response) == "not_private"


def test_adding_an_unknown_username_is_refused(secret, alice):
    response = api(client_of(alice), "post", "/api/rooms/secret/members/", {"username": "nobody"})
    assert response.status_code == 400
    assert error_code(response) == "unknown_user"


def test_a_member_who_is_no_owner_may_not_remove_others(secret, alice, bob):
    response = client_of(bob).delete("/api/rooms/secret/members/alice/")
    assert response.status_code == 403
    assert error_code(response) == "not_owner"
    assert is_member("alice", "secret")


def test_leaving_answers_204(secret, bob):
    response = client_of(bob).delete("/api/rooms/secret/members/bob/")
    assert response.status_code == 204
    assert not is_member("bob", "secret")


def test_removing_someone_who_is_not_a_member_answers_404(secret, alice):
    person_new("carol")
    response = client_of(alice).delete("/api/rooms/secret/members/carol/")
    assert response.status_code == 404
    assert error_code(response) == "unknown_member"


def test_a_removed_member_can_no_longer_read_the_room(secret, alice, bob):
    client_of(alice).delete("/api/rooms/secret/members/bob/")
    response = client_of(bob).get("/api/rooms/secret/")
    assert (response.status_code, error_code(response)) == (403, "forbidden")


# --- direct messages --------------------------------------------------------------------------


def test_a_dm_answers_201_then_200_with_the_same_room_from_both_sides(alice, bob):
    first = api(client_of(alice), "post", "/api/dms/", {"username": "bob"})
    again = api(client_of(bob), "post", "/api/dms/", {"username": "alice"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["name"] == again.json()["name"]
    assert first.json()["kind"] == "dm"
    assert (first.json()["title"], again.json()["title"]) == ("bob", "alice")


def test_a_dm_with_oneself_is_refused(alice):
    response = api(client_of(alice), "post", "/api/dms/", {"username": "alice"})
    assert (response.status_code, error_code(response)) == (400, "dm_self")


def test_a_guest_may_not_open_a_dm(bob):
    response = api(client_of(guest=True), "post", "/api/dms/", {"username": "bob"})
    assert (response.status_code, error_code(response)) == (400, "dm_guest")
    assert not Room.objects.exists()


@pytest.mark.parametrize("username", ["", "   "])
def test_a_dm_with_no_one_named_is_refused(alice, username):
    response = api(client_of(alice), "post", "/api/dms/", {"username": username})
    assert (response.status_code, error_code(response)) == (400, "dm_nobody")


def test_a_dm_with_an_unknown_username_is_refused(alice):
    response = api(client_of(alice), "post", "/api/dms/", {"username": "nobody"})
    assert (response.status_code, error_code(response)) == (400, "unknown_user")


# --- read marks -------------------------------------------------------------------------------


def test_reading_answers_the_room_with_its_new_counts(secret, alice, bob):
    post("secret", bob, "one")
    post("secret", bob, "two")
    response = api(client_of(alice), "post", "/api/rooms/secret/read/", {"seq": 1})
    assert response.status_code == 200
    room = response.json()
    assert (room["last_read"], room["unread"]) == (1, 1)


def test_a_lower_read_mark_sent_forward_only_is_kept_as_it_was(secret, alice, bob):
    post("secret", bob, "one")
    post("secret", bob, "two")
    client = client_of(alice)
    api(client, "post", "/api/rooms/secret/read/", {"seq": 2})
    response = api(client, "post", "/api/rooms/secret/read/", {"seq": 1, "forward": True})
    assert (response.status_code, response.json()["last_read"]) == (200, 2)


def test_a_lower_read_mark_moves_it_back(secret, alice, bob):
    post("secret", bob, "one")
    post("secret", bob, "two")
    client = client_of(alice)
    api(client, "post", "/api/rooms/secret/read/", {"seq": 2})
    response = api(client, "post", "/api/rooms/secret/read/", {"seq": 1})
    assert (response.json()["last_read"], response.json()["unread"]) == (1, 1)


def test_a_read_mark_past_the_last_seq_is_the_last(secret, alice, bob):
    post("secret", bob, "one")
    response = api(client_of(alice), "post", "/api/rooms/secret/read/", {"seq": 1000})
    assert response.json()["last_read"] == 1


def test_a_negative_read_mark_is_refused(secret, alice):
    response = api(client_of(alice), "post", "/api/rooms/secret/read/", {"seq": -1})
    assert (response.status_code, error_code(response)) == (400, "invalid_seq")


def test_a_non_member_may_not_mark_a_private_room_read(secret, alice):
    carol = person_new("carol")
    response = api(client_of(carol), "post", "/api/rooms/secret/read/", {"seq": 0})
    assert (response.status_code, error_code(response)) == (403, "forbidden")
    assert not is_member("carol", "secret")


# --- invitations ------------------------------------------------------------------------------


def invite(client, room: str = "secret", **body):
    return api(client, "post", f"/api/rooms/{room}/invitations/", body)


def link_path(response) -> str:
    return urlsplit(response.json()["url"]).path


def test_a_member_makes_an_invitation_link(secret, bob):
    response = invite(client_of(bob))
    assert response.status_code == 201
    assert link_path(response).startswith("/invite/")
    assert Invitation.objects.get(pk=response.json()["id"]).created_by == bob


def test_a_non_member_may_not_invite(secret):
    response = invite(client_of(person_new("carol")))
    assert (response.status_code, error_code(response)) == (403, "forbidden")


def test_public_rooms_have_no_invitations(alice):
    client = client_of(alice)
    api(client, "post", "/api/rooms/", {"name": "open"})
    response = invite(client, "open")
    assert (response.status_code, error_code(response)) == (400, "not_private")


@pytest.mark.parametrize("hours", [0, 721])
def test_an_invitation_lasts_1_to_720_hours(secret, alice, hours):
    response = invite(client_of(alice), hours=hours)
    assert (response.status_code, error_code(response)) == (400, "invalid_hours")


def test_the_link_offers_a_signed_in_person_to_join(secret, alice):
    path = link_path(invite(client_of(alice)))
    response = client_of(person_new("carol")).get(path)
    assert response.status_code == 200
    assert "secret" in response.content.decode()
    assert 'id="invitation-join"' in response.content.decode()


def test_the_link_sends_a_signed_out_person_to_log_in_and_back(secret, alice):
    path = link_path(invite(client_of(alice)))
    response = client_of().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"


def test_joining_by_the_link_makes_a_member_and_opens_the_room(secret, alice):
    path = link_path(invite(client_of(alice)))
    response = client_of(person_new("carol")).post(path)
    assert response.status_code == 302
    assert response["Location"] == "/chat/secret/"
    assert is_member("carol", "secret")


def test_a_used_link_answers_410_saying_so(secret, alice):
    path = link_path(invite(client_of(alice)))
    client_of(person_new("carol")).post(path)
    response = client_of(person_new("dora")).get(path)
    assert response.status_code == 410
    assert "used already" in response.content.decode()
    assert not is_member("dora", "secret")


def test_an_expired_link_answers_410_saying_so(secret, alice):
    made = invite(client_of(alice))
    Invitation.objects.filter(pk=made.json()["id"]).update(
        expires=timezone.now() - timedelta(minutes=1)
    )
    response = client_of(person_new("carol")).post(link_path(made))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not is_member("carol", "secret")


def test_a_revoked_link_answers_410(secret, alice):
    client = client_of(alice)
    made = invite(client)
    revoked = client.delete(f"/api/rooms/secret/invitations/{made.json()['id']}/")
    assert revoked.status_code == 204
    response = client_of(person_new("carol")).get(link_path(made))
    assert response.status_code == 410
    assert "revoked" in response.content.decode()


def test_a_forged_link_answers_404(secret):
    response = client_of(person_new("carol")).get("/invite/not-a-real-token/")
    assert response.status_code == 404


def test_only_its_maker_or_an_owner_revokes_an_invitation(secret, alice, bob):
    made = invite(client_of(alice))
    response = client_of(bob).delete(f"/api/rooms/secret/invitations/{made.json()['id']}/")
    assert (response.status_code, error_code(response)) == (403, "not_owner")


def test_the_invitations_are_listed_for_members(secret, alice, bob):
    path = link_path(invite(client_of(alice)))
    client_of(person_new("carol")).post(path)
    response = client_of(bob).get("/api/rooms/secret/invitations/")
    [listed] = response.json()["invitations"]
    assert (listed["created_by"], listed["used_by"], listed["revoked"]) == ("alice", "carol", False)


# --- the schema -------------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_endpoints():
    response = client_of().get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/rooms/", "/api/dms/"} <= set(paths)


def test_the_api_docs_page_loads_swagger_from_this_site_only():
    page = client_of().get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "https://" not in html  # nothing from a CDN, which the CSP would block


def test_a_room_differing_only_by_case_is_taken(alice):
    Room.objects.create(name="general")
    response = api(client_of(alice), "post", "/api/rooms/", {"name": "General"})
    assert (response.status_code, error_code(response)) == (409, "room_taken")
    assert "“general”" in response.json()["detail"]


def test_people_are_added_by_username_whatever_the_case(secret, alice):
    person_new("carol")
    response = api(client_of(alice), "post", "/api/rooms/secret/members/", {"username": "Carol"})
    assert response.status_code == 201
    assert is_member("carol", "secret")


def test_a_room_page_named_in_another_case_leads_to_the_room(alice):
    Room.objects.create(name="general")
    response = client_of(alice).get("/chat/General/?around=3")
    assert response.status_code == 302
    assert response["Location"] == "/chat/general/?around=3"


def test_a_first_post_never_makes_a_room_differing_only_by_case(alice):
    Room.objects.create(name="general")
    with pytest.raises(ActionRefused):
        post("General", alice, "hello")
    assert list(Room.objects.values_list("name", flat=True)) == ["general"]
