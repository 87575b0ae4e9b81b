"""Members changed in the admin: the open connections of the people concerned check again
once the admin's save has committed, so a member removed there is closed at once."""

import asyncio
import json
import time
from html.parser import HTMLParser

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connections
from django.test import Client

from chat.access import room_access
from chat.admin import RoomAdmin
from chat.models import Membership, Room
from chat.protocol import events
from chat.realtime import session as realtime_session
from chat.services.rooms import read_mark
from chat.tests.helpers import user_session
from chat.tests.membership import person_new

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def slow_commit(monkeypatch):
    """The admin's save commits only after every ``chat.access`` broadcast sent so far has
    been checked by the connection it reached, as when a commit is slow: a broadcast sent
    before the commit is then checked against the rows as they were."""
    sent, checked = [], []
    layer = get_channel_layer()
    group_send = layer.group_send

    async def counted_send(group, message):
        if message["type"] == events.ACCESS_TYPE:
            sent.append(message)
        await group_send(group, message)

    def counted_check(**where):
        try:
            return room_access(**where)
        finally:
            checked.append(where)

    save_related = RoomAdmin.save_related

    def save_related_then_wait(self, *args, **kwargs):
        already_sent, already_checked = len(sent), len(checked)
        save_related(self, *args, **kwargs)
        deadline = time.monotonic() + 5
        while len(checked) - already_checked < len(sent) - already_sent:
            assert time.monotonic() < deadline, "gave up waiting for the connection's check"
            time.sleep(0.01)

    monkeypatch.setattr(layer, "group_send", counted_send)
    monkeypatch.setattr(realtime_session, "room_access", counted_check)
    monkeypatch.setattr(RoomAdmin, "save_related", save_related_then_wait)


class FormFields(HTMLParser):
    """The fields a browser submits from the form with id ``form_id``, unchanged."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[list[str]] = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "disabled" in attrs:
            return
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            if kind not in {"submit", "button", "image", "reset", "file"}:
                default = "on" if kind in {"checkbox", "radio"} else ""
                self.fields.append([attrs["name"], attrs.get("value") or default])
        elif tag == "select" and attrs.get("name"):
            self.select, self.options = attrs["name"], []
        elif tag == "option" and self.select is not None:
            self.options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and attrs.get("name"):
            self.textarea = [attrs["name"], ""]
            self.fields.append(self.textarea)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            chosen = [value for value, selected in self.options if selected] or [
                value for value, _ in self.options[:1]
            ]
            self.fields.extend([self.select, value] for value in chosen)
            self.select = None


def _room_change_form(room_name: str, superuser: str) -> tuple[Client, str, dict]:
    """A new superuser's client on the room's admin change page: the page's URL and the
    fields its form would submit unchanged."""
    staff = person_new(superuser, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    url = f"/admin/chat/room/{Room.objects.get(name=room_name).pk}/change/"
    form = FormFields("room_form")
    form.feed(client.get(url).content.decode())
    data: dict[str, list[str]] = {}
    for name, value in form.fields:
        data.setdefault(name, []).append(value)
    return client, url, data


def _remove_in_the_admin(room_name: str, username: str) -> int:
    """A superuser opens the room's change page, ticks "Delete" on ``username``'s member
    row and saves; returns the status of the answer."""
    try:
        client, url, data = _room_change_form(room_name, "moderator")
        room = Room.objects.get(name=room_name)
        membership = room.memberships.get(user__username=username)
        [row] = [
            name.removesuffix("-id")
            for name, values in data.items()
            if name.startswith("memberships-")
            and name.endswith("-id")
            and values == [str(membership.pk)]
        ]
        data[f"{row}-DELETE"] = ["on"]
        return client.post(url, data).status_code
    finally:
        connections.close_all()  # this thread's own connection


async def frames_until_closed(client, timeout: float = 5.0) -> tuple[list[dict], int | None]:
    """Every frame a ChatClient's connection gets until it is closed, and the close code;
    fails after ``timeout`` seconds (leaving the connection to be closed as usual)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    frames = []
    while True:
        remaining = deadline - loop.time()
        nothing = remaining <= 0 or await client.communicator.receive_nothing(
            timeout=remaining, interval=0.02
        )
        assert not nothing, f"not closed after {timeout:g} s; it got {frames}"
        output = await client.communicator.receive_output()
        if output["type"] == "websocket.close":
            return frames, output.get("code")
        frames.append(json.loads(output["text"]))


async def test_a_member_removed_in_the_admin_is_sent_forbidden_and_closed_with_4403(
    secret, bob, connect_room, slow_commit
):
    bobs_tab = await connect_room("secret", session=await user_session(bob))
    # The admin is served apart from the connections (another thread, its own database
    # connection), as by another server process.
    status = await asyncio.to_thread(_remove_in_the_admin, "secret", "bob")
    assert status == 302
    frames, code = await frames_until_closed(bobs_tab)
    assert [frame["code"] for frame in frames if frame["type"] == "error"] == ["forbidden"]
    assert code == 4403
    assert not await database_sync_to_async(secret.memberships.filter(user=bob).exists)()


def _rename_in_the_admin(room_name: str, new_name: str) -> int:
    """A superuser renames the room on its change page; returns the answer's status."""
    try:
        client, url, data = _room_change_form(room_name, "renamer")
        data["name"] = [new_name]
        return client.post(url, data).status_code
    finally:
        connections.close_all()


async def test_a_tab_in_a_room_renamed_in_the_admin_is_closed_with_room_gone(
    secret, bob, connect_room
):
    bobs_tab = await connect_room("secret", session=await user_session(bob))
    assert await asyncio.to_thread(_rename_in_the_admin, "secret", "secret-renamed") == 302
    frames, code = await frames_until_closed(bobs_tab)
    assert [frame["code"] for frame in frames if frame["type"] == "error"] == ["room_gone"]
    assert code == 4403
    assert not await database_sync_to_async(Room.objects.filter(name="secret").exists)()


async def test_a_post_from_a_tab_whose_room_was_deleted_makes_no_room(secret, bob, connect_room):
    bobs_tab = await connect_room("secret", session=await user_session(bob))
    await database_sync_to_async(Room.objects.filter(name="secret").delete)()  # no notice
    await bobs_tab.send({"type": "message", "message": "still here?", "nonce": "n-1"})
    error = await bobs_tab.until(lambda frame: frame["type"] == "error")
    assert (error["code"], error.get("nonce")) == ("room_gone", "n-1")
    assert not await database_sync_to_async(Room.objects.filter(name="secret").exists)()


def _make_private_in_the_admin(room_name: str) -> int:
    try:
        client, url, data = _room_change_form(room_name, "privatizer")
        data["kind"] = ["private"]
        return client.post(url, data).status_code
    finally:
        connections.close_all()


async def test_a_public_room_made_private_keeps_only_its_chosen_members(bob, connect_room):
    alice, carol = await database_sync_to_async(
        lambda: (person_new("alice"), person_new("carol"))
    )()

    def lobby_read_by_carol_with_alice_added() -> None:
        room = Room.objects.create(name="lobby")
        read_mark(room=room, user=carol, seq=0)  # kept in her sidebar by reading it
        Membership.objects.create(room=room, user=alice)  # added in the admin: chosen

    await database_sync_to_async(lobby_read_by_carol_with_alice_added)()
    carols_tab = await connect_room("lobby", session=await user_session(carol))
    alices_tab = await connect_room("lobby", session=await user_session(alice))
    assert await asyncio.to_thread(_make_private_in_the_admin, "lobby") == 302
    frames, code = await frames_until_closed(carols_tab)
    assert [frame["code"] for frame in frames if frame["type"] == "error"] == ["forbidden"]
    assert code == 4403
    members = await database_sync_to_async(
        lambda: sorted(
            Room.objects.get(name="lobby").memberships.values_list("user__username", flat=True)
        )
    )()
    assert members == ["alice"]
    await alices_tab.send({"type": "message", "message": "still in", "nonce": "n-1"})
    assert (await alices_tab.until(lambda f: f["type"] == "message"))["message"] == "still in"


def _topic_in_the_admin(room_name: str, topic: str) -> int:
    try:
        client, url, data = _room_change_form(room_name, "moderator")
        data["topic"] = [topic]
        return client.post(url, data).status_code
    finally:
        connections.close_all()


async def test_a_topic_changed_in_the_admin_reaches_open_pages(connect_room):
    alice = await database_sync_to_async(person_new)("alice")
    room = await Room.objects.acreate(name="plans", kind=Room.Kind.PRIVATE)
    await Membership.objects.acreate(room=room, user=alice)
    tab = await connect_room("plans", session=await user_session(alice))
    status = await asyncio.to_thread(_topic_in_the_admin, "plans", "From the **admin**")
    assert status == 302
    frame = await tab.until(lambda f: f["type"] == "room", timeout=5)
    assert frame["topic_html"] == "From the <strong>admin</strong>"
