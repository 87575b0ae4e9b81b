"""Profiles (docs/api.md, "Profile"): display name, time zone, about, status and Do Not
Disturb through ``/api/me/``; someone's profile for people who share a room with them;
the people picker's search; what goes live to open connections."""

import datetime
import io

import pytest
from channels.db import database_sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from PIL import Image

from chat.identity import face_of
from chat.tests.helpers import user_session
from chat.tests.membership import api, client_of, error_code, person_new, private_room
from people.models import Profile

pytestmark = pytest.mark.django_db(transaction=True)


def _me(user, body):
    return api(client_of(user), "patch", "/api/me/", body)


def _soon(**delta) -> str:
    return (timezone.now() + datetime.timedelta(**delta)).isoformat()


def test_a_new_person_shows_their_username_and_an_initials_avatar(alice):
    body = api(client_of(alice), "get", "/api/me/").json()
    assert body["username"] == "alice"
    assert body["display_name"] == ""
    assert body["status"] is None and body["dnd_until"] is None
    assert body["has_avatar"] is False
    assert body["email_notify"] is True
    picture = client_of(alice).get(body["avatar_url"])
    assert picture["Content-Type"].startswith("image/svg+xml")
    assert b">A</text>" in picture.content


def test_a_display_name_in_any_script_is_kept_and_shown_in_the_initials(alice):
    response = _me(alice, {"display_name": "  ليلى   أحمد ", "time_zone": "Asia/Beirut",
                           "about": "Design\nand research"})  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "ليلى أحمد"
    assert body["time_zone"] == "Asia/Beirut"
    assert body["about"] == "Design\nand research"
    svg = client_of(alice).get(body["avatar_url"]).content.decode()
    assert ">لأ</text>" in svg


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Alice\u202eecilA", "U+202E"),  # a right-to-left override
        ("\u200b\u200b", "U+200B"),  # invisible only
        ("a\x07b", "U+0007"),
        ("x" * 51, "at most 50"),
        ("...", "at least one letter"),
    ],
)
def test_a_display_name_that_could_deceive_is_refused_and_nothing_changes(alice, name, reason):
    _me(alice, {"about": "before"})
    response = _me(alice, {"display_name": name, "about": "after"})
    assert response.status_code == 400
    assert error_code(response) == "invalid_display_name"
    assert reason in response.json()["detail"]
    assert Profile.objects.get(user=alice).about == "before"  # all or none


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"time_zone": "Mars/Olympus"}, "invalid_time_zone"),
        ({"about": "x" * 501}, "invalid_about"),
        ({"status": {"emoji": "not one", "text": "away"}}, "invalid_status"),
        ({"status": {"text": "x" * 101}}, "invalid_status"),
        ({"status": {"text": "away", "expires_at": "tomorrow"}}, "invalid_expires_at"),
        ({"status": {"text": "away", "expires_at": "2020-01-01T00:00:00+00:00"}},
         "invalid_expires_at"),
        ({"dnd_until": "2030-01-01T00:00:00"}, "invalid_dnd_until"),  # no offset
        ({"email_notify": "yes"}, "invalid_email_notify"),
        ({"username": "mallory"}, "invalid_field"),
    ],
)  # fmt: skip
def test_a_bad_profile_field_is_refused_by_name(alice, body, code):
    response = _me(alice, body)
    assert response.status_code == 400
    assert error_code(response) == code


def test_a_status_and_dnd_are_shown_until_they_end(alice):
    ends = _soon(hours=2)
    body = _me(alice, {"status": {"emoji": "🌴", "text": "On holiday", "expires_at": ends},
                       "dnd_until": _soon(hours=1)}).json()  # fmt: skip
    assert body["status"]["emoji"] == "🌴" and body["status"]["text"] == "On holiday"
    assert body["dnd_until"] is not None
    alice.refresh_from_db()
    face = face_of(alice)
    assert face.public()["status"]["text"] == "On holiday"
    in_90_minutes = timezone.now() + datetime.timedelta(minutes=90)
    assert "dnd_until" not in face.public(in_90_minutes)  # DND ended, the status not yet
    assert "status" in face.public(in_90_minutes)
    in_3_hours = timezone.now() + datetime.timedelta(hours=3)
    assert face.public(in_3_hours) == {}


def test_a_status_is_cleared_with_null(alice):
    _me(alice, {"status": {"emoji": "🎧", "text": "Focusing"}})
    assert _me(alice, {"status": None}).json()["status"] is None


def test_someones_profile_is_seen_by_people_who_share_a_room_only(alice, bob):
    carol = person_new("carol")
    _me(bob, {"display_name": "Bob B.", "time_zone": "Europe/Berlin"})
    assert api(client_of(alice), "get", "/api/people/bob/").status_code == 404
    private_room("project", alice, bob)
    body = api(client_of(alice), "get", "/api/people/bob/").json()
    assert body["display_name"] == "Bob B." and body["time_zone"] == "Europe/Berlin"
    assert "email" not in body
    response = api(client_of(carol), "get", "/api/people/bob/")
    assert response.status_code == 404 and error_code(response) == "unknown_person"


def test_the_people_picker_finds_display_names_and_usernames_whatever_the_case(alice, bob):
    _me(bob, {"display_name": "Robert Brown"})
    person_new("bobby")
    found = api(client_of(alice), "get", "/api/people/?q=BOB").json()["people"]
    assert [p["username"] for p in found] == ["bob", "bobby"]
    found = api(client_of(alice), "get", "/api/people/?q=brown").json()["people"]
    assert found[0] == {"username": "bob", "display_name": "Robert Brown",
                        "avatar_url": "/avatars/bob/64/"}  # fmt: skip


async def test_a_message_carries_its_authors_display_name(connect_room, alice):
    await database_sync_to_async(_me)(alice, {"display_name": "Alice Liddell"})
    await database_sync_to_async(private_room)("tea", alice)
    tab = await connect_room("tea", session=await user_session(alice))
    frame = await tab.post("hello")
    assert frame["name"] == "Alice Liddell" and frame["user"] == "alice"
    history = await database_sync_to_async(
        lambda: api(client_of(alice), "get", "/chat/tea/messages/")
    )()
    assert history.json()["messages"][-1]["name"] == "Alice Liddell"


def _png(width: int = 300, height: int = 200) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), "#3366cc")
    exif = Image.Exif()
    exif[0x010E] = "secret description"
    image.save(out, format="PNG", exif=exif)
    return out.getvalue()


def test_an_avatar_is_stored_square_as_webp_at_two_sizes_without_metadata(alice):
    client = client_of(alice)
    response = _put_avatar(client, _png())
    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    assert url.startswith("/avatars/alice/256/?v=")
    for size in (256, 64):
        picture = client.get(url.replace("/256/", f"/{size}/"))
        assert picture["Content-Type"] == "image/webp"
        data = b"".join(picture.streaming_content)
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (size, size)
            assert not image.getexif()
        assert b"secret description" not in data
    assert api(client, "delete", "/api/me/avatar/").status_code == 204
    assert client.get("/avatars/alice/64/")["Content-Type"].startswith("image/svg+xml")


def _put_avatar(client, data: bytes):
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("me.png", data)})
    return client.put("/api/me/avatar/", body, content_type=MULTIPART_CONTENT)


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"%PDF-1.4 not a picture", "invalid_avatar", 400),
        (b"\x89PNG" + b"\0" * (5 * 1024 * 1024), "file_too_large", 413),
    ],
)
def test_an_avatar_that_is_not_a_small_picture_is_refused(alice, data, code, status):
    response = _put_avatar(client_of(alice), data)
    assert response.status_code == status
    assert error_code(response) == code


def test_a_decompression_bomb_avatar_is_refused(alice, settings):
    settings.CHAT_IMAGE_PIXELS_MAX = 1_000_000
    response = _put_avatar(client_of(alice), _png(2000, 2000))
    assert response.status_code == 400 and error_code(response) == "invalid_avatar"


async def test_a_status_change_goes_live_to_people_in_the_room(connect_room, alice, bob):
    watcher = await connect_room("lobby", session=await user_session(bob))
    tab = await connect_room("lobby", session=await user_session(alice))
    await watcher.until(lambda f: f["type"] in ("join", "presence_changes"), timeout=5)
    ends = _soon(hours=1)
    response = await database_sync_to_async(_me)(
        alice, {"display_name": "Alice L.", "status": {"emoji": "🎧", "text": "Focusing",
                                                       "expires_at": ends}})  # fmt: skip
    assert response.status_code == 200

    def shows_status(frame) -> bool:
        joins = [frame] if frame["type"] == "join" else frame.get("changes", [])
        return any(j["user"].get("status", {}).get("text") == "Focusing" for j in joins)

    frame = await watcher.until(shows_status, timeout=5)
    person = frame["user"] if frame["type"] == "join" else frame["changes"][-1]["user"]
    assert person["name"] == "Alice L." and person["user"] == "alice"
    own = await tab.until(lambda f: f["type"] == "identity" and "status" in f, timeout=5)
    assert own["name"] == "Alice L."
