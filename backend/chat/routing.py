"""Which consumer serves a WebSocket's path.

One match per handshake, the path's parts put in the connection's own scope
(``scope["url_route"]``, as Channels' ``URLRouter`` names them): no copy of the
scope and no router coroutine stays behind for the connection's life, which
matters for a process holding tens of thousands of idle sockets.
"""

import re

from chat.realtime.consumer import ChatConsumer
from chat.realtime.not_found import NotFoundConsumer

WEBSOCKET_ROUTES = [
    (re.compile(r"^ws/chat/(?P<room_name>[^/]*)/$"), ChatConsumer),
]


def websocket_consumer(scope: dict) -> type:
    """The consumer class for ``scope``'s path (``NotFoundConsumer`` for any other path);
    sets ``scope["url_route"]`` to the path's named parts."""
    path = scope["path"]
    root_path = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    path = path.lstrip("/")
    for pattern, consumer in WEBSOCKET_ROUTES:
        match = pattern.match(path)
        if match:
            kwargs = {key: value for key, value in match.groupdict().items() if value is not None}
            scope["url_route"] = {"args": (), "kwargs": kwargs}
            return consumer
    scope["url_route"] = {"args": (), "kwargs": {}}
    return NotFoundConsumer
