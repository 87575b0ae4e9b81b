"""WebSocket close codes the chat sends, each with when it is used (docs/protocol.md).

The page reads them from the server (``room.html`` embeds them with
``json_script``), so this enum is their one definition.
"""

from enum import IntEnum


class CloseCode(IntEnum):
    SERVER_ERROR = 1011  # a message could not be stored; reconnect and re-send
    SERVICE_RESTART = 1012  # the server is stopping; reconnect and resume
    TRY_AGAIN_LATER = 1013  # Redis is unreachable; reconnect later
    SIGNED_OUT = 4401  # the connection's credential no longer signs anyone in; final
    INVALID_ROOM = 4400  # the room name breaks the naming rules; final
    FORBIDDEN = 4403  # the person may not read the room (private, or removed); final
    NOT_FOUND = 4404  # no WebSocket endpoint at this path; final
    TOO_SLOW = 4408  # the client left too much unread; reconnect and resume
    TOO_MANY = 4429  # too many connections, or kept flooding; reconnect later


# After these, reconnecting can't help.
FINAL = frozenset(
    {CloseCode.SIGNED_OUT, CloseCode.INVALID_ROOM, CloseCode.FORBIDDEN, CloseCode.NOT_FOUND}
)
