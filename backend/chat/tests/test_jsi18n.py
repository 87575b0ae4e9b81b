"""/jsi18n/: the page scripts' words in the reader's language (Django's JavaScript
catalog), and the pages that load it before their modules."""

import json
import re
import subprocess

import pytest

from chat.tests.membership import person_new
from people.models import Profile

pytestmark = pytest.mark.django_db


def _in_node(catalog: str, expression: str):
    """What ``expression`` gives in Node once the catalog script has run, as a browser
    runs it (a classic script that sets globalThis.django)."""
    script = f"{catalog}\nprocess.stdout.write(JSON.stringify({expression}));"
    done = subprocess.run(
        ["node", "--input-type=commonjs", "-"],
        input=script,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)


def _catalog(client, **headers) -> str:
    response = client.get("/jsi18n/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_catalog_is_a_script_from_this_site(client):
    response = client.get("/jsi18n/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert _in_node(response.content.decode(), 'typeof django.gettext === "function"')


def test_a_browser_asking_for_german_gets_the_page_words_in_german(client):
    catalog = _catalog(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert _in_node(catalog, 'django.gettext("Connected")') == "Verbunden"
    assert _in_node(catalog, 'django.ngettext("%s file", "%s files", 3)') == "%s Dateien"


def test_arabic_words_take_each_of_their_six_plural_forms(client):
    catalog = _catalog(client, HTTP_ACCEPT_LANGUAGE="ar")
    forms = _in_node(
        catalog, '[0, 1, 2, 3, 11, 100].map((n) => django.ngettext("%s file", "%s files", n))'
    )
    assert forms == ["لا ملفات", "ملف واحد", "ملفان", "%s ملفات", "%s ملفًا", "%s ملف"]


def test_a_language_the_site_does_not_offer_leaves_the_words_in_english(client):
    catalog = _catalog(client, HTTP_ACCEPT_LANGUAGE="fr")
    assert _in_node(catalog, 'django.gettext("Connected")') == "Connected"


def test_a_signed_in_persons_profile_language_wins_over_the_browsers(client):
    person = person_new("layla")
    Profile.objects.create(user=person, language="ar")
    client.force_login(person)
    catalog = _catalog(client, HTTP_ACCEPT_LANGUAGE="de")
    assert _in_node(catalog, 'django.gettext("Connected")') == "متصل"


def test_browsers_ask_again_each_time_and_get_a_304_while_nothing_changed(client):
    first = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="de")
    assert "no-cache" in first["Cache-Control"]
    assert "private" in first["Cache-Control"]
    again = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="de", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_another_language_is_another_etag_so_the_kept_catalog_is_not_reused(client):
    german = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="de")
    arabic = client.get("/jsi18n/", HTTP_ACCEPT_LANGUAGE="ar", HTTP_IF_NONE_MATCH=german["ETag"])
    assert arabic.status_code == 200
    assert arabic["ETag"] != german["ETag"]


@pytest.mark.parametrize("path", ["/chat/", "/chat/lobby/"])
def test_pages_load_the_catalog_before_their_modules(client, path):
    body = client.get(path).content.decode()
    scripts = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"[^>]*>", body)
    modules = re.findall(r"<script\b[^>]*type=\"module\"[^>]*\bsrc=\"([^\"]+)\"", body)
    assert modules, "the page runs modules"
    assert scripts[0] == "/jsi18n/"
    assert re.search(r'<script src="/jsi18n/"></script>', body)  # classic, not deferred
