"""Which consumer a WebSocket's path goes to."""

import pytest

from chat.realtime.consumer import ChatConsumer
from chat.realtime.not_found import NotFoundConsumer
from chat.routing import websocket_consumer


@pytest.mark.parametrize(
    ("path", "room"),
    [("/ws/chat/lobby/", "lobby"), ("/ws/chat/кухня/", "кухня"), ("/ws/chat//", "")],
)
def test_a_room_path_goes_to_the_chat_with_the_room_named_in_the_scope(path, room):
    scope = {"path": path}
    assert websocket_consumer(scope) is ChatConsumer
    assert scope["url_route"] == {"args": (), "kwargs": {"room_name": room}}


@pytest.mark.parametrize("path", ["/ws/chat/lobby", "/ws/chat/a/b/", "/ws/", "/", "/chat/lobby/"])
def test_any_other_path_goes_to_not_found(path):
    scope = {"path": path}
    assert websocket_consumer(scope) is NotFoundConsumer
    assert scope["url_route"] == {"args": (), "kwargs": {}}


def test_the_root_path_of_a_mounted_server_is_not_part_of_the_route():
    scope = {"path": "/chat-app/ws/chat/lobby/", "root_path": "/chat-app"}
    assert websocket_consumer(scope) is ChatConsumer
    assert scope["url_route"]["kwargs"] == {"room_name": "lobby"}
