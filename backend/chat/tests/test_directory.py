"""The room directory: rooms with activity, their online counts, busiest first."""

import pytest
from channels.db import database_sync_to_async
from django.test import AsyncClient

from chat.identity import Identity
from chat.services.storing import message_store
from chat.tests.helpers import guest_session

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def post(room: str, text: str = "hi") -> None:
    message_store(room_name=room, identity=Identity("guest:w", "w", True), text=text, nonce=None)


async def directory() -> list[dict]:
    response = await AsyncClient().get("/api/rooms/")
    assert response.status_code == 200
    return response.json()["rooms"]


async def test_rooms_with_messages_are_listed_with_their_details():
    await post("quiet")
    await post("quiet")
    [room] = await directory()
    assert room["name"] == "quiet"
    assert room["url"] == "/chat/quiet/"
    assert room["messages"] == 2
    assert room["online"] == 0
    assert room["last_message_at"].endswith("Z")


async def test_rooms_with_people_online_come_first(connect_room):
    await post("busy")
    await post("recent")
    for name in ("alice", "bob"):
        client = await connect_room("busy", session=await guest_session(name))
        await client.until(lambda frame: frame["type"] == "presence")  # registered
    rooms = await directory()
    assert [(r["name"], r["online"]) for r in rooms] == [("busy", 2), ("recent", 0)]


async def test_the_most_recent_room_comes_first_among_equals():
    await post("older")
    await post("newer")
    assert [r["name"] for r in await directory()] == ["newer", "older"]


async def test_unicode_room_urls_are_encoded():
    await post("日本語")
    [room] = await directory()
    assert room["url"] == "/chat/%E6%97%A5%E6%9C%AC%E8%AA%9E/"
