"""A guest can't pose as a registered user or as another guest: names are compared by
what they look like (their confusable skeletons), and invisible-only names are refused."""

import re
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.test import Client

from chat.identity import (
    GUEST_CLAIM_RENEWED_AFTER,
    GUEST_CLAIMED_SESSION_KEY,
    InvalidDisplayName,
    display_name_clean,
    guest_name_claim,
    name_skeletons,
)
from chat.models import GuestName
from chat.tests.helpers import assert_name_refused, guest_session

pytestmark = pytest.mark.django_db

LOOK_ALIKES_OF_ALICE = [
    "alice\u034f",  # an invisible combining grapheme joiner after it
    "al\u200bice",  # a zero-width space inside
    "ａｌｉｃｅ",  # fullwidth
    "\u0430lice",  # Cyrillic а
    "aIice",  # capital I for l
    "ALICE",
    "Ａｌｉｃｅ",
]


@pytest.mark.parametrize("name", LOOK_ALIKES_OF_ALICE)
def test_look_alike_names_share_a_skeleton(name):
    assert name_skeletons(name) & name_skeletons("alice")


@pytest.mark.parametrize("name", ["alicia", "bob", "alice2", "al ice"])
def test_different_names_have_different_skeletons(name):
    assert not name_skeletons(name) & name_skeletons("alice")


@pytest.mark.parametrize("name", [*LOOK_ALIKES_OF_ALICE, "aIice\u034f"])
def test_a_guest_cannot_take_a_name_that_looks_like_a_registered_one(name):
    get_user_model().objects.create_user(username="alice", password="pw-for-tests-1")
    # Refused as a registered user's name, or for the invisible character it hides.
    with pytest.raises(InvalidDisplayName, match="belongs to a registered user|invisible"):
        display_name_clean(name)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("\u034f", "invisible character U+034F"),
        ("\u3164\u3164", "invisible character U+3164"),  # Hangul fillers
        ("bob\u200d", "invisible character U+200D"),
        ("\u0301\u0302\u0303", "at least one letter or digit"),
        ("\u0301bob", "can't start with a combining mark"),
        ("x\u0301\u0302\u0303\u0304\u0306", "at most 4 combining marks"),
    ],
)
def test_invisible_and_mark_only_names_are_refused_with_the_reason(raw, reason):
    with pytest.raises(InvalidDisplayName, match=re.escape(reason)):
        display_name_clean(raw)


@pytest.mark.parametrize("name", ["Zoë", "Nguyễn", "日本", "Ελένη"])
def test_names_with_marks_in_any_script_are_still_accepted(name):
    assert display_name_clean(name, claim_for="guest:a") == name


@pytest.mark.parametrize("name", ["marie", "MARIE", "ｍａｒｉｅ", "marie\u034f", "m\u0430rie"])
def test_a_guest_cannot_take_the_name_another_guest_uses(name):
    display_name_clean("marie", claim_for="guest:first")
    with pytest.raises(InvalidDisplayName, match="Another guest|invisible"):
        display_name_clean(name, claim_for="guest:second")


def test_a_guest_keeps_their_own_name_and_frees_the_old_one_on_renaming():
    guest_name_claim("guest:first", "marie")
    guest_name_claim("guest:first", "Marie")  # the same guest again
    guest_name_claim("guest:first", "jeanne")
    guest_name_claim("guest:second", "marie")
    assert GuestName.objects.get(guest_key="guest:second").name == "marie"


def test_a_claim_older_than_a_session_no_longer_holds_the_name(settings):
    guest_name_claim("guest:first", "marie")
    GuestName.objects.update(
        claimed=GuestName.objects.get().claimed - timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    )
    guest_name_claim("guest:second", "marie")  # the old claim doesn't count, deleted or not
    assert GuestName.objects.filter(guest_key="guest:second", name="marie").exists()


def test_a_second_guest_is_refused_the_name_over_http_and_keeps_theirs():
    first, second = Client(), Client()
    assert first.post("/accounts/name/", {"name": "Marie"}).status_code == 302
    assert_name_refused(second, "ＭＡＲＩＥ", "Another guest is using")
    assert first.get("/chat/").context["identity"].name == "Marie"


def test_page_views_claim_no_names():
    for _ in range(3):
        Client().get("/chat/lobby/")
    assert not GuestName.objects.exists()


def test_becoming_a_guest_claims_the_given_name():
    client = Client()
    name = client.post("/accounts/guest/").json()["user"]
    assert list(GuestName.objects.values_list("name", flat=True)) == [name]


def test_a_given_name_another_guest_took_meanwhile_is_replaced_when_the_claim_is_renewed():
    client = Client()
    name = client.post("/accounts/guest/").json()["user"]
    GuestName.objects.all().delete()
    guest_name_claim("guest:someone", name)
    session = client.session
    session[GUEST_CLAIMED_SESSION_KEY] -= GUEST_CLAIM_RENEWED_AFTER.total_seconds() + 1
    session.save()
    renamed = client.post("/accounts/guest/").json()["user"]
    assert renamed.startswith("guest-") and renamed != name
    assert sorted(GuestName.objects.values_list("name", flat=True)) == sorted([name, renamed])


def test_a_claim_is_renewed_at_most_once_a_day():
    client = Client()
    client.post("/accounts/guest/")
    GuestName.objects.all().delete()
    client.post("/accounts/guest/")
    assert not GuestName.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_a_handshake_claims_no_name(connect_room):
    client = await connect_room("claims", session=await guest_session("guest-1234"))
    assert client.identity["user"] == "guest-1234"
    assert await _claimed_names() == []


@database_sync_to_async
def _claimed_names() -> list[str]:
    return list(GuestName.objects.values_list("name", flat=True))
