"""Link previews end to end (docs/protocol.md's ``preview``): a message's first link gets
its page's title, description, site name and a re-encoded thumbnail, after the
message itself; history carries it; it is fetched once per URL; its author removes
it; its image is served only to those who may read the room; nothing is fetched
when previews are off, and a refused page gives none."""

import io

import pytest
from channels.db import database_sync_to_async
from PIL import Image

from chat.models import Message
from chat.tests.helpers import eventually, user_session
from chat.tests.membership import api, client_of, error_code, person_new, private_room
from previews.models import LinkPreview
from previews.service import first_link
from previews.tests.site import Site

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(settings):
    site = Site().start()
    settings.CHAT_OUTBOUND_ALLOW_HOSTS = frozenset({("127.0.0.1", site.port)})
    yield site
    site.stop()


async def _room(connect_room, name: str = "plans"):
    alice = await database_sync_to_async(person_new)("alice")
    await database_sync_to_async(private_room)(name, alice)
    return alice, await connect_room(name, session=await user_session(alice))


def test_the_first_http_link_of_a_message_is_the_one_previewed():
    html = (
        '<p><a href="mailto:a@b.c">mail</a> <a href="https://example.com/a?x=1&amp;y=2">one'
        '</a> <a href="https://example.com/b">two</a></p>'
    )
    assert first_link(html) == "https://example.com/a?x=1&y=2"
    assert first_link("<p>no links here</p>") is None


async def test_a_link_gets_a_preview_after_its_message(connect_room, site):
    _, tab = await _room(connect_room)
    await tab.send({"message": f"see {site.base}/page", "nonce": "n-1"})
    frames = []
    await tab.until(lambda f: frames.append(f) or f["type"] == "preview", timeout=10)
    message = next(f for f in frames if f["type"] == "message")
    preview = frames[-1]
    assert frames.index(message) < len(frames) - 1  # the message first, then its preview
    assert preview["seq"] == message["seq"]
    shown = preview["preview"]
    assert shown["url"] == f"{site.base}/page"
    assert shown["title"] == "Launch plan & timeline"
    assert shown["description"] == "Everything about the launch."
    assert shown["site_name"] == "Example Wiki"
    assert shown["image_url"].startswith("/previews/")
    stored = await Message.objects.aget(seq=message["seq"], room__name="plans")
    assert stored.preview == shown  # kept with the message: history carries it


async def test_history_carries_the_preview(connect_room, site):
    alice, tab = await _room(connect_room)
    await tab.send({"message": f"{site.base}/title-only", "nonce": "n-1"})
    await tab.until(lambda f: f["type"] == "preview", timeout=10)
    page = await database_sync_to_async(
        lambda: client_of(alice).get("/chat/plans/messages/").json()
    )()
    [message] = page["messages"]
    assert message["preview"]["title"] == "Just a & title"
    assert message["preview"]["image_url"] is None


async def test_a_url_is_fetched_once_for_every_message_linking_to_it(connect_room, site):
    _, tab = await _room(connect_room)
    for nonce in ("n-1", "n-2"):
        await tab.send({"message": f"{site.base}/page", "nonce": nonce})
        await tab.until(lambda f: f["type"] == "preview", timeout=10)
    assert site.requests.count("/page") == 1
    assert await LinkPreview.objects.acount() == 1


async def test_a_refused_page_gives_no_preview_and_the_message_stands(connect_room, site):
    _, tab = await _room(connect_room)
    frame = await tab.post(f"look {site.base}/plain")
    await _preview_settled(f"{site.base}/plain")
    assert await tab.receive_nothing(timeout=0.3, kinds=("preview",))
    stored = await Message.objects.aget(seq=frame["seq"], room__name="plans")
    assert stored.preview is None and stored.body == f"look {site.base}/plain"


async def test_no_page_is_fetched_while_previews_are_off(connect_room, site, settings):
    settings.CHAT_PREVIEWS = False
    _, tab = await _room(connect_room)
    await tab.post(f"{site.base}/page")
    await tab.post("and a message after it")
    assert site.requests == []


async def _preview_settled(url: str) -> None:
    """Wait until the preview of ``url`` was looked for (kept, with or without one)."""
    await eventually(
        lambda: LinkPreview.objects.filter(url=url).aexists(), what="the preview looked for"
    )


async def test_the_image_is_a_re_encoded_thumbnail_for_readers_only(connect_room, site):
    alice, tab = await _room(connect_room)
    await tab.send({"message": f"{site.base}/page", "nonce": "n-1"})
    preview = (await tab.until(lambda f: f["type"] == "preview", timeout=10))["preview"]
    carol = await database_sync_to_async(person_new)("carol")

    def fetch(user):
        response = client_of(user).get(preview["image_url"])
        return response.status_code, response.get("Content-Type"), b"".join(
            response.streaming_content) if response.status_code == 200 else b""  # fmt: skip

    status, kind, body = await database_sync_to_async(fetch)(alice)
    assert status == 200 and kind == "image/webp"
    with Image.open(io.BytesIO(body)) as image:
        assert image.format == "WEBP" and max(image.size) <= 400
        assert not image.info.get("exif")
    status, _, _ = await database_sync_to_async(fetch)(carol)
    assert status == 403


async def test_the_author_removes_the_preview_for_everyone(connect_room, site):
    alice, tab = await _room(connect_room)
    bob = await database_sync_to_async(person_new)("bob")
    await tab.send({"message": f"{site.base}/page", "nonce": "n-1"})
    seq = (await tab.until(lambda f: f["type"] == "preview", timeout=10))["seq"]
    path = f"/api/rooms/plans/messages/{seq}/preview/"
    room = await database_sync_to_async(lambda: Message.objects.get(seq=seq).room)()
    await database_sync_to_async(lambda: room.memberships.create(user=bob))()
    refused = await database_sync_to_async(lambda: api(client_of(bob), "delete", path))()
    assert refused.status_code == 403 and error_code(refused) == "forbidden"
    removed = await database_sync_to_async(lambda: api(client_of(alice), "delete", path))()
    assert removed.status_code == 204
    frame = await tab.until(lambda f: f["type"] == "preview" and f["preview"] is None, timeout=5)
    assert frame["seq"] == seq
    assert (await Message.objects.aget(seq=seq)).preview == {}
