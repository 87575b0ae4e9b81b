"""Attachments: uploads and their limits, what counts as an image (and what is made of
it), who may fetch a file, sending files with a message, and deleting them with it."""

import io

import pytest
from channels.db import database_sync_to_async
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from PIL import Image

from chat.models import Attachment
from chat.services.attachments import file_name_clean
from chat.tests.helpers import guest_session
from chat.tests.membership import client_of, person_new, post

pytestmark = pytest.mark.django_db(transaction=True)


def png(width=64, height=48, **info) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG", **info)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (10, 90, 200))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS info
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(client: Client, room: str, name: str, data: bytes, **extra):
    file = io.BytesIO(data)
    file.name = name
    return client.post(f"/api/rooms/{room}/attachments/", {"file": file}, **extra)


def test_an_image_is_stored_with_a_thumbnail_and_served_inline(alice):
    client = client_of(alice)
    response = upload(client, "lobby", "cat.png", png())
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["content_type"]) == ("cat.png", "image/png")
    assert body["thumbnail_url"]
    served = client.get(body["url"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("inline")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    thumbnail = Image.open(
        io.BytesIO(b"".join(client.get(body["thumbnail_url"]).streaming_content))
    )
    assert thumbnail.format == "WEBP" and max(thumbnail.size) <= 480


def test_an_images_metadata_is_stripped(alice):
    client = client_of(alice)
    body = upload(client, "lobby", "holiday.jpg", jpeg_with_gps()).json()
    stored = Attachment.objects.get(pk=body["id"])
    with default_storage.open(stored.file.name) as kept:
        image = Image.open(io.BytesIO(kept.read()))
        assert image.format == "JPEG"
        assert not image.getexif()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("image.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("image.png", b"<html><script>alert(1)</script></html>"),
        ("notes.txt", b"just some text"),
    ],
)
def test_anything_but_a_verified_image_is_served_only_as_a_download(alice, name, data):
    client = client_of(alice)
    body = upload(client, "lobby", name, data).json()
    assert (body["content_type"], body["thumbnail_url"]) == ("application/octet-stream", None)
    served = client.get(body["url"])
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"


def test_an_image_claiming_too_many_pixels_is_kept_as_a_plain_file(alice):
    # A real PNG header claiming 100,000 × 100,000 pixels: never decoded.
    huge = png(1, 1)
    huge = huge[:16] + (100_000).to_bytes(4, "big") + (100_000).to_bytes(4, "big") + huge[24:]
    body = upload(client_of(alice), "lobby", "bomb.png", huge).json()
    assert (body["content_type"], body["thumbnail_url"]) == ("application/octet-stream", None)


@override_settings(CHAT_UPLOAD_MAX_MB=1)
def test_a_file_over_the_limit_is_a_413(alice):
    response = upload(client_of(alice), "lobby", "big.bin", b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert not Attachment.objects.exists()


@override_settings(CHAT_UPLOAD_MAX_MB=1)
def test_a_body_declared_too_large_is_refused_before_it_is_read(alice):
    response = client_of(alice).post(
        "/api/rooms/lobby/attachments/", b"", content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )  # fmt: skip
    assert response.status_code == 413


def test_an_upload_without_a_file_says_so(alice):
    response = client_of(alice).post("/api/rooms/lobby/attachments/", {})
    assert (response.status_code, response.json()["code"]) == (400, "missing_file")


def test_an_upload_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = upload(client, "lobby", "cat.png", png())
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ('say "hi".txt', "say hi.txt"),
        ("bell\x07and\nnewline.txt", "bell and newline.txt"),
        ("\u202egnp.exe", "gnp.exe"),
        ("", "file"),
        ("..", "file"),
        ("a" * 300 + ".png", "a" * 146 + ".png"),  # 150 characters
    ],
)
def test_file_names_are_made_safe(raw, clean):
    assert file_name_clean(raw) == clean


def test_files_of_a_private_room_are_for_its_members_on_every_request(alice, bob, secret):
    body = upload(client_of(alice), "secret", "plan.png", png()).json()
    carol = client_of(person_new("carol"))
    assert client_of(bob).get(body["url"]).status_code == 404  # not sent yet: Alice's own
    Attachment.objects.filter(pk=body["id"]).update(message=post("secret", alice, "the plan"))
    assert client_of(bob).get(body["url"]).status_code == 200
    assert client_of(bob).get(body["thumbnail_url"]).status_code == 200
    for outsider in (carol, client_of(), client_of(guest=True)):
        assert outsider.get(body["url"]).status_code == 403
        assert outsider.get(body["thumbnail_url"]).status_code == 403
    secret.memberships.filter(user=bob).delete()  # removed: refused from the next request
    assert client_of(bob).get(body["url"]).status_code == 403


def test_an_upload_to_a_private_room_is_for_its_members(secret):
    response = upload(client_of(person_new("carol")), "secret", "x.png", png())
    assert response.status_code == 403


async def _connected(connect_room, room: str, name: str):
    return await connect_room(room, session=await guest_session(name))


@database_sync_to_async
def _upload_as(session_key: str, room: str, name: str, data: bytes) -> dict:
    client = Client()
    client.cookies["sessionid"] = session_key
    return upload(client, room, name, data).json()


async def _alice_uploaded_bob_present(connect_room, room: str):
    """Alice and Bob in ``room``; Alice has uploaded cat.png there, not sent yet."""
    session = await guest_session("alice")
    alice = await connect_room(room, session=session)
    bob = await _connected(connect_room, room, "bob")
    return alice, bob, await _upload_as(session, room, "cat.png", png())


async def test_a_message_carries_its_attachments_live_and_in_history(connect_room):
    alice, bob, uploaded = await _alice_uploaded_bob_present(connect_room, "at-live")
    await alice.send({"message": "", "nonce": "a1", "attachments": [uploaded["id"]]})
    for tab in (alice, bob):
        frame = await tab.receive()
        assert [a["id"] for a in frame["attachments"]] == [uploaded["id"]]
        assert frame["attachments"][0]["url"] == uploaded["url"]
    later = await _connected(connect_room, "at-live", "carol")
    assert later.history[0]["attachments"][0]["name"] == "cat.png"


async def test_someone_elses_or_an_already_sent_upload_is_refused(connect_room):
    alice, bob, uploaded = await _alice_uploaded_bob_present(connect_room, "at-refused")
    await bob.send({"message": "mine now", "nonce": "b1", "attachments": [uploaded["id"]]})
    refusal = await bob.receive()
    assert (refusal["code"], refusal["nonce"]) == ("invalid_attachment", "b1")
    await alice.send({"message": "ok", "nonce": "a1", "attachments": [uploaded["id"]]})
    await alice.receive()
    await alice.send({"message": "again", "nonce": "a2", "attachments": [uploaded["id"]]})
    assert (await alice.receive())["code"] == "invalid_attachment"


@pytest.mark.parametrize("attachments", ["1", [0], [True], list(range(1, 12)), [1.5]])
async def test_attachments_that_are_not_upload_ids_are_refused(connect_room, attachments):
    alice = await _connected(connect_room, "at-bad", "alice")
    await alice.send({"message": "x", "nonce": "a1", "attachments": attachments})
    assert (await alice.receive())["code"] == "invalid_attachment"


async def test_deleting_a_message_deletes_its_files(connect_room):
    session = await guest_session("alice")
    alice = await connect_room("at-delete", session=session)
    uploaded = await _upload_as(session, "at-delete", "cat.png", png())
    await alice.send({"message": "look", "nonce": "a1", "attachments": [uploaded["id"]]})
    ack = await alice.receive()
    names = await database_sync_to_async(
        lambda: [(a.file.name, a.thumbnail.name) for a in Attachment.objects.all()]
    )()
    await alice.send({"type": "delete", "seq": ack["seq"]})
    await alice.receive()
    assert not await database_sync_to_async(Attachment.objects.exists)()
    for file_name, thumbnail_name in names:
        assert not default_storage.exists(file_name)
        assert not default_storage.exists(thumbnail_name)
