"""Static files under hashed names once collected; their own names before."""

import re

import pytest
from django.core.management import call_command
from django.test import Client


@pytest.fixture
def collected(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path  # Django makes the storage anew for it
    call_command("collectstatic", "--no-input", "-v", "0")
    return tmp_path


@pytest.mark.django_db
def test_a_page_names_the_hashed_module_once_collected(collected):
    page = Client().get("/chat/lobby/").content.decode()
    assert re.search(r'src="/static/chat/room/main\.[0-9a-f]{12}\.js"', page)


def test_the_modules_import_each_other_by_hashed_names(collected):
    (main,) = (collected / "chat" / "room").glob("main.*.js")
    imports = re.findall(r'from "(\./[^"]+)"', main.read_text())
    assert imports and all(re.search(r"\.[0-9a-f]{12}\.js$", name) for name in imports)


@pytest.mark.django_db
def test_before_anything_is_collected_a_file_keeps_its_name(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path  # empty: no manifest
    page = Client().get("/chat/lobby/").content.decode()
    assert 'src="/static/chat/room/main.js"' in page
