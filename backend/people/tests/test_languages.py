"""The reader's language (people.languages): the profile's, else the switcher's cookie or
Accept-Language, else LANGUAGE_CODE; in pages (with ``<html lang dir>``), the API's
error details and the e-mail of what someone missed."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from chat.tests.membership import api, client_of, error_code
from people.models import Profile
from people.profiles import profile_update

pytestmark = pytest.mark.django_db


def _html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


def test_a_browser_asking_for_german_gets_a_german_page_left_to_right(client):
    response = client.get("/chat/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert _html_tag(response) == '<html lang="de" dir="ltr">'
    assert "Raum wählen" in response.content.decode()  # "Pick a room"
    assert response["Content-Language"] == "de"


def test_a_browser_asking_for_arabic_gets_a_page_right_to_left(client):
    response = client.get("/chat/", HTTP_ACCEPT_LANGUAGE="ar")
    assert _html_tag(response) == '<html lang="ar" dir="rtl">'
    assert "اختر غرفة" in response.content.decode()


def test_a_language_the_chat_doesnt_have_falls_back_to_language_code(client):
    response = client.get("/chat/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert _html_tag(response) == f'<html lang="{settings.LANGUAGE_CODE}" dir="ltr">'
    assert "Pick a room" in response.content.decode()


def test_the_profiles_language_wins_over_the_browsers(alice):
    profile_update(alice, {"language": "ar"})
    response = client_of(alice).get("/chat/", HTTP_ACCEPT_LANGUAGE="de")
    assert _html_tag(response) == '<html lang="ar" dir="rtl">'


def test_a_profile_without_a_language_follows_the_browser(alice):
    Profile.objects.create(user=alice, display_name="Alice")
    response = client_of(alice).get("/chat/", HTTP_ACCEPT_LANGUAGE="de")
    assert _html_tag(response) == '<html lang="de" dir="ltr">'


def test_the_switcher_sets_a_visitors_language_for_the_next_pages(client):
    page = client.get("/chat/")
    assert 'action="/i18n/setlang/"' in page.content.decode()  # in the account menu
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/chat/"})
    assert response.status_code == 302 and response["Location"] == "/chat/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert _html_tag(client.get("/chat/", HTTP_ACCEPT_LANGUAGE="ar")) == (
        '<html lang="de" dir="ltr">'
    )


def test_the_switcher_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/chat/"})
    assert response.status_code == 403


def test_the_switcher_keeps_a_signed_in_persons_choice_on_their_profile(alice):
    client = client_of(alice)
    client.post("/i18n/setlang/", {"language": "ar", "next": "/chat/"})
    assert Profile.objects.get(user=alice).language == "ar"
    other_browser = client_of(alice)  # no cookie: the profile says it
    assert _html_tag(other_browser.get("/chat/")) == '<html lang="ar" dir="rtl">'


def test_the_switcher_ignores_a_language_the_chat_doesnt_have(alice):
    client_of(alice).post("/i18n/setlang/", {"language": "xx", "next": "/chat/"})
    assert not Profile.objects.filter(user=alice).exclude(language="").exists()


def test_the_profile_page_sets_the_language_and_answers_in_it(alice):
    client = client_of(alice)
    response = client.post("/profile/", {"action": "profile", "language": "de"})
    assert response.status_code == 200
    assert Profile.objects.get(user=alice).language == "de"
    assert _html_tag(response) == '<html lang="de" dir="ltr">'
    assert 'id="profile-saved">Gespeichert.</div>' in response.content.decode()
    client.post("/profile/", {"action": "profile", "language": ""})
    assert Profile.objects.get(user=alice).language == ""


def test_an_api_error_detail_comes_in_the_browsers_language(client):
    response = client.get("/api/me/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 401
    assert response.json() == {
        "type": "error", "code": "sign_in_required", "detail": "Melden Sie sich dafür an.",
    }  # fmt: skip


def test_an_api_error_detail_with_a_value_comes_in_the_profiles_language(alice):
    profile_update(alice, {"language": "de"})
    response = api(client_of(alice), "post", "/api/rooms/", {"name": "a/b"})
    assert response.status_code == 400 and error_code(response) == "invalid_room"
    assert response.json()["detail"] == (
        "Raumnamen dürfen nur Buchstaben, Ziffern, „-“, „_“ und „.“ enthalten, "
        "aber nicht: Schrägstriche."
    )


def test_the_language_is_set_and_read_through_the_api(alice):
    client = client_of(alice)
    response = api(client, "patch", "/api/me/", {"language": "ar"})
    assert response.status_code == 200 and response.json()["language"] == "ar"
    refused = api(client, "patch", "/api/me/", {"language": "klingon"})
    assert refused.status_code == 400 and error_code(refused) == "invalid_language"
    assert api(client, "get", "/api/me/").json()["language"] == "ar"


def test_every_language_has_its_translations_compiled():
    """The committed .mo files serve translated pages without a build step."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            shown = translation.gettext("Pick a room")
        assert (code == "en") == (shown == "Pick a room"), code


def test_the_switcher_returns_to_the_page_with_its_query_but_never_a_next(client):
    page = client.get("/search/?q=plans&next=https://evil.example/").content.decode()
    assert 'name="next" value="/search/?q=plans"' in page
    assert "evil.example" not in page.split('id="language-form"')[1].split("</form>")[0]


def test_a_language_the_chat_has_no_catalog_for_is_not_kept_on_the_profile(client):
    from chat.tests.membership import person_new

    person = person_new("polyglot")
    client.force_login(person)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/chat/"})
    assert response.status_code == 302
    from people.models import Profile

    kept = Profile.objects.filter(user=person).values_list("language", flat=True).first()
    assert not kept
