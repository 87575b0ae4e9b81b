"""The composer: the "too fast" notice, and messages written while disconnected."""

import re

from playwright.sync_api import expect

from e2e.pages import RoomPage


def test_the_too_fast_notice_clears_once_the_held_back_messages_are_sent(page):
    room = RoomPage(page).open("too-fast-clears")
    texts = [f"burst {n}" for n in range(20)]
    for text in texts:
        room.send(text)
    expect(room.error).to_contain_text(re.compile(r"too fast; wait \d"))
    room.expect_delivered(*texts)
    expect(room.error).to_be_hidden()
