"""WebSocket text frames as the server writes them, built once per broadcast."""

import struct
from collections import OrderedDict


def text_frame(payload: bytes) -> bytes:
    """A final, unmasked WebSocket text frame (RFC 6455, section 5.2), as a server sends it."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


class FrameCache:
    """The WebSocket frames of the texts sent last, each built once for every connection.

    A broadcast hands the same text objects to each connection in turn, so they
    are found by identity; a text seen for the first time gets a frame of its own.
    The least recently used go first: the messages a restart's returning tabs are
    replayed (the same few hundred texts, one tab after another) stay framed. At most
    ``SIZE`` frames of ``MAX_BYTES`` in all are kept (a room's presence snapshot may be
    tens of kilobytes).
    """

    # More than a broadcast batch (chat.batching.MAX_BATCH) and a replayed tail
    # (chat.realtime.history_cache.REPLAY_TAIL) hold.
    SIZE = 1024
    MAX_BYTES = 512 * 1024

    def __init__(self) -> None:
        self.frames: OrderedDict[int, tuple[str, bytes]] = OrderedDict()
        self.bytes = 0

    def framed(self, text: str) -> bytes:
        entry = self.frames.get(id(text))
        if entry is not None and entry[0] is text:
            self.frames.move_to_end(id(text))
            return entry[1]
        frame = text_frame(text.encode("utf8"))
        if len(frame) > self.MAX_BYTES:
            return frame
        # The entry keeps ``text`` alive, so its id can't be reused while cached.
        old = self.frames.pop(id(text), None)
        if old is not None:
            self.bytes -= len(old[1])
        self.frames[id(text)] = (text, frame)
        self.bytes += len(frame)
        while len(self.frames) > self.SIZE or self.bytes > self.MAX_BYTES:
            _, (_, dropped) = self.frames.popitem(last=False)
            self.bytes -= len(dropped)
        return frame
