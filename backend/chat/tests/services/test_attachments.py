"""Attachments: uploads and their limits, what counts as an image (and what is made of
it), who may fetch a file, sending files with a message, and deleting them with it."""

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.test import Client, override_settings
from django.utils import timezone
from PIL import Image

from chat.models import Attachment
from chat.services import attachments
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


def _stored_bytes(body: dict) -> bytes:
    with default_storage.open(Attachment.objects.get(pk=body["id"]).file.name) as kept:
        return kept.read()


def test_a_phones_mpo_photo_is_stored_as_a_jpeg_without_its_gps(alice):
    first, second = Image.new("RGB", (40, 30), (10, 90, 200)), Image.new("RGB", (40, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}
    out = io.BytesIO()
    first.save(out, format="MPO", save_all=True, append_images=[second], exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    body = upload(client_of(alice), "lobby", "phone.jpg", out.getvalue()).json()
    assert body["content_type"] == "image/jpeg"
    kept = Image.open(io.BytesIO(_stored_bytes(body)))
    assert kept.format == "JPEG"
    assert not kept.getexif()


def test_a_reencoded_jpeg_keeps_no_comment(alice):
    out = io.BytesIO()
    Image.new("RGB", (40, 30)).save(out, format="JPEG", comment=b"secret-comment")
    body = upload(client_of(alice), "lobby", "a.jpg", out.getvalue()).json()
    assert b"secret-comment" not in _stored_bytes(body)


def test_a_gif_is_rebuilt_frame_by_frame_without_comments_or_trailing_bytes(alice):
    frames = [Image.new("RGB", (20, 20), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(
        out, format="GIF", save_all=True, append_images=frames[1:], duration=[70, 90], loop=0,
        comment=b"secret-comment",
    )  # fmt: skip
    data = out.getvalue() + b"trailing-secret"
    body = upload(client_of(alice), "lobby", "a.gif", data).json()
    assert body["content_type"] == "image/gif"
    kept = _stored_bytes(body)
    assert b"secret-comment" not in kept and b"trailing-secret" not in kept
    image = Image.open(io.BytesIO(kept))
    assert image.n_frames == 2
    assert "comment" not in image.info
    image.seek(1)
    assert image.convert("RGB").getpixel((5, 5)) == (0, 0, 255)


@override_settings(CHAT_IMAGE_PIXELS_MAX=1_000_000)
@pytest.mark.parametrize(("size", "shown"), [((1000, 1000), True), ((1001, 1000), False)])
def test_images_over_the_pixel_cap_are_kept_as_plain_files(alice, size, shown):
    body = upload(client_of(alice), "lobby", "big.png", png(*size)).json()
    assert (body["content_type"] == "image/png") is shown
    assert (body["thumbnail_url"] is not None) is shown


def test_an_image_waits_for_a_decoding_slot_and_is_refused_busy_after_a_while(alice, monkeypatch):
    monkeypatch.setattr(attachments, "DECODE_WAIT_SECONDS", 0.05)
    slots = attachments._decoding_slots()
    taken = 0
    while slots.acquire(blocking=False):  # every slot busy decoding
        taken += 1
    try:
        response = upload(client_of(alice), "lobby", "cat.png", png())
    finally:
        for _ in range(taken):
            slots.release()
    assert taken == settings.CHAT_IMAGE_DECODES_MAX
    assert response.status_code == 503
    assert response.json()["code"] == "busy" and response.json()["retry_after"] > 0
    assert not Attachment.objects.exists()
    assert upload(client_of(alice), "lobby", "cat.png", png()).status_code == 201


@override_settings(CHAT_GUEST_UPLOADS=False)
def test_guests_can_be_refused_uploads_by_setting(alice):
    response = upload(client_of(guest=True), "lobby", "a.txt", b"hello")
    assert (response.status_code, response.json()["code"]) == (403, "guest_uploads_off")
    assert upload(client_of(alice), "lobby", "a.txt", b"hello").status_code == 201


@override_settings(CHAT_UPLOADS_PER_MINUTE=4)
def test_uploads_are_limited_per_person(alice, bob):
    client = client_of(alice)
    assert [upload(client, "lobby", "a.txt", b"x").status_code for _ in range(2)] == [201, 201]
    refused = upload(client, "lobby", "a.txt", b"x")
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert "4 uploads a minute" in refused.json()["detail"]
    assert 0 < refused.json()["retry_after"] <= 15
    assert upload(client_of(bob), "lobby", "a.txt", b"x").status_code == 201


@override_settings(CHAT_UPLOADS_PER_MINUTE=2)
def test_uploads_are_limited_per_address_across_people():
    # An address gets four times a person's burst (1): the fifth guest from it waits.
    statuses = [upload(client_of(guest=True), "lobby", "a.txt", b"x").status_code for _ in range(5)]
    assert statuses == [201, 201, 201, 201, 429]


@override_settings(CHAT_UPLOAD_UNSENT_MAX_MB=1)
def test_unsent_uploads_have_a_quota_per_person(alice, bob):
    client = client_of(alice)
    assert upload(client, "lobby", "a.bin", b"x" * 600_000).status_code == 201
    refused = upload(client, "lobby", "b.bin", b"x" * 600_000)
    assert (refused.status_code, refused.json()["code"]) == (413, "unsent_uploads_too_large")
    assert "1 MiB" in refused.json()["detail"]
    assert upload(client_of(bob), "lobby", "b.bin", b"x" * 600_000).status_code == 201


@override_settings(CHAT_UPLOAD_UNSENT_HOURS=24)
def test_unsent_uploads_expire_with_their_files_and_sent_ones_stay(alice):
    client = client_of(alice)
    unsent = upload(client, "lobby", "old.bin", b"old").json()
    sent = upload(client, "lobby", "sent.bin", b"sent").json()
    Attachment.objects.filter(pk=sent["id"]).update(message=post("lobby", alice, "a file"))
    day_ago = timezone.now() - datetime.timedelta(hours=25)
    Attachment.objects.update(created=day_ago)
    old_file = Attachment.objects.get(pk=unsent["id"]).file.name
    assert upload(client, "lobby", "new.bin", b"new").status_code == 201
    assert not Attachment.objects.filter(pk=unsent["id"]).exists()
    assert not default_storage.exists(old_file)
    assert Attachment.objects.filter(pk=sent["id"]).exists()


def test_an_upload_while_the_database_is_away_is_a_503(alice, monkeypatch):
    client = client_of(alice)

    def database_away(*args, **kwargs):
        raise OperationalError("connection to server was lost")

    monkeypatch.setattr(Attachment, "save", database_away)
    response = upload(client, "lobby", "a.txt", b"hello")
    assert (response.status_code, response.json()["code"]) == (503, "unavailable")


MEASURE_DECODING = """
import io
import django
django.setup()
from PIL import Image
from chat.services import attachments

def rss_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024

out = io.BytesIO()
Image.new("RGB", (4000, 4000), (1, 2, 3)).save(out, "PNG")
before = rss_mib()
assert attachments._image(out.getvalue())[0] == "image/png"
print(rss_mib() - before)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_the_memory_of_a_decoded_image_is_handed_back():
    # A 16-million-pixel image takes 64 MiB or more while decoded; afterwards the
    # process is back to within a few MiB of where it was (in a fresh interpreter, so
    # that nothing else moves the figure).
    grown = subprocess.run(
        [sys.executable, "-c", MEASURE_DECODING],
        cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert int(grown) < 24
