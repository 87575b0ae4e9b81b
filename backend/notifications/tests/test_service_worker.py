"""The installed app: the service worker at /sw.js, the manifest, the offline page."""

from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageChops

import notifications
from devtools.app_icons import write_icons

SW = Path(notifications.__file__).parent / "static" / "notifications" / "sw.js"


def test_the_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert response.content.decode() == SW.read_text()
    assert "showNotification" in response.content.decode()


def test_only_get(client):
    assert client.post("/sw.js").status_code == 405


ICONS_DIR = Path(notifications.__file__).parent / "static" / "notifications" / "icons"


def test_the_manifest_is_served_as_a_web_app_manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert (manifest["name"], manifest["short_name"]) == ("Chat", "Chat")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/chat/",
        "/",
        "standalone",
    )
    assert (manifest["theme_color"], manifest["background_color"]) == ("#ffffff", "#f4f5f8")


def test_the_manifests_icons_are_pngs_of_their_sizes_one_maskable(client):
    icons = client.get("/manifest.webmanifest").json()["icons"]
    assert {(icon["sizes"], icon["purpose"]) for icon in icons} == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    }
    for icon in icons:
        response = client.get(icon["src"])
        assert response.status_code == 200
        with Image.open(BytesIO(b"".join(response.streaming_content))) as image:
            assert (image.format, f"{image.width}x{image.height}") == ("PNG", icon["sizes"])


def test_the_committed_icons_are_what_the_script_draws(tmp_path):
    for path in write_icons(tmp_path):
        with Image.open(path) as drawn, Image.open(ICONS_DIR / path.name) as committed:
            assert drawn.size == committed.size
            difference = ImageChops.difference(drawn, committed.convert(drawn.mode))
            # Equal but for rounding (another Pillow may smooth edges a shade apart).
            assert max(high for _, high in difference.getextrema()) <= 8, path.name


@pytest.mark.django_db
def test_every_page_links_the_manifest_and_both_theme_colours(client):
    for path in ("/chat/", "/chat/lobby/", "/accounts/login/", "/offline/"):
        body = client.get(path).content.decode()
        assert '<link rel="manifest" href="/manifest.webmanifest">' in body, path
        assert 'name="theme-color" content="#1c2029" media="(prefers-color-scheme: dark)"' in body


@pytest.mark.django_db
def test_the_offline_page_is_the_same_for_everyone(client, alice):
    anonymous = client.get("/offline/")
    client.force_login(alice)
    signed_in = client.get("/offline/")
    assert anonymous.status_code == signed_in.status_code == 200
    assert anonymous.content == signed_in.content
    assert "X-Chat-Person" not in signed_in
    assert b"You are offline" in signed_in.content


def test_the_offline_page_names_every_script_it_needs(client):
    """The service worker keeps the files the page names; its script's imports too."""
    body = client.get("/offline/").content.decode()
    for module in ("chat/offline.js", "chat/kept-pages.js", "chat/room/icons.js"):
        assert f'"/static/{module}"' in body
