"""The composer: messages written while disconnected."""

import pytest
from playwright.sync_api import BrowserContext, expect

from e2e.pages import RoomPage


@pytest.fixture
def own_server(start_server):
    """A server of the test's own, to stop and start again on the same address."""
    return start_server()


def _offline_room(context, server, room_name: str) -> RoomPage:
    page = context.new_page()
    page.goto(f"{server.base_url}/chat/{room_name}/")
    room = RoomPage(page)
    room.expect_connected()
    server.stop()
    expect(room.status).to_have_attribute("data-state", "closed")
    return room


def test_messages_written_offline_are_sent_when_the_room_is_next_opened(
    context: BrowserContext, own_server
):
    room = _offline_room(context, own_server, "kept-offline")
    room.send("written offline 1")
    room.send("written offline 2")
    expect(room.pending).to_have_count(2)
    room.page.close()
    own_server.start()
    again = RoomPage(context.new_page())
    again.page.goto(f"{own_server.base_url}/chat/kept-offline/")
    again.expect_delivered("written offline 1", "written offline 2")
    again.reload()
    again.expect_delivered("written offline 1", "written offline 2")  # once, not twice


def test_closing_the_page_with_unsent_messages_asks_first(context: BrowserContext, own_server):
    room = _offline_room(context, own_server, "asks-first")
    room.send("not sent yet")
    with room.page.expect_event("dialog") as asked:
        room.page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    expect(room.pending).to_have_count(1)  # still open, the message still pending
