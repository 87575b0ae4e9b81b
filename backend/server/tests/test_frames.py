"""WebSocket text frames and the cache that builds each broadcast's frame once."""

import pytest
import websockets.frames
from websockets.streams import StreamReader

from server.frames import FrameCache, text_frame


def _parsed(frame: bytes) -> websockets.frames.Frame:
    reader = StreamReader()
    reader.feed_data(frame)
    parser = websockets.frames.Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("the frame is incomplete")


@pytest.mark.parametrize("length", [0, 5, 125, 126, 65535, 65536, 100_000])
def test_a_text_frame_of_any_length_parses_back(length):
    payload = ("é" * length).encode()[:length]
    frame = _parsed(text_frame(payload))
    assert frame.opcode == websockets.frames.Opcode.TEXT and frame.fin
    assert frame.data == payload


def test_the_same_text_object_is_framed_once():
    cache = FrameCache()
    text = "".join(["hello ", "everyone"])  # built at run time: one object
    assert cache.framed(text) is cache.framed(text)
    equal_but_other = "".join(["hello ", "everyone"])
    assert cache.framed(equal_but_other) == cache.framed(text)
    assert cache.framed(equal_but_other) is not cache.framed(text)


def test_the_frame_cache_keeps_only_the_latest_texts():
    cache = FrameCache()
    texts = [f"message {n}" for n in range(FrameCache.SIZE + 10)]
    for text in texts:
        cache.framed(text)
    assert len(cache.frames) == FrameCache.SIZE
    assert id(texts[0]) not in cache.frames and id(texts[-1]) in cache.frames


def test_a_text_framed_again_stays_longest():
    cache = FrameCache()
    kept = "".join(["replayed ", "often"])
    cache.framed(kept)
    for n in range(FrameCache.SIZE - 1):
        cache.framed(f"message {n}")
        cache.framed(kept)
    cache.framed("one more")
    assert id(kept) in cache.frames


def test_the_frame_cache_keeps_at_most_its_bytes():
    cache = FrameCache()
    big = ["x" * 100_000 + str(n) for n in range(20)]  # 2 MB of texts
    for text in big:
        cache.framed(text)
    assert cache.bytes == sum(len(frame) for _, frame in cache.frames.values())
    assert cache.bytes <= FrameCache.MAX_BYTES
    assert id(big[-1]) in cache.frames and id(big[0]) not in cache.frames
