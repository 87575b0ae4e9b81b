"""Frames from clients, parsed into typed shapes or refused with a machine code."""

import json

import pytest

from chat.protocol import frames
from chat.protocol.frames import FrameError, frame_parse


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ('{"message": "hi"}', frames.SendMessage("hi")),
        ('{"type": "message", "message": "hi", "nonce": "n1"}', frames.SendMessage("hi", "n1")),
        ('{"type": "resume", "after": 7}', frames.Resume(7)),
        ('{"type": "resume", "after": "7"}', frames.Resume(7)),
        ('{"type": "typing"}', frames.Typing()),
        ('{"type": "delete", "seq": 3}', frames.Delete(3)),
        ('{"type": "mute", "seq": 3, "minutes": 10}', frames.Mute(3, 10)),
    ],
)
def test_each_kind_of_frame_is_parsed(text, frame):
    assert frame_parse(text, max_length=10) == frame


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"nonce": "n"}', "missing_message"),
        ('{"message": 5}', "invalid_message"),
        ('{"message": "   "}', "empty_message"),
        ('{"message": "a\\u0000b"}', "invalid_message"),
        ('{"message": "\\ud800"}', "invalid_message"),
        ('{"message": "eleven char"}', "message_too_long"),
        ('{"message": "hi", "nonce": ""}', "invalid_nonce"),
        ('{"type": "resume", "after": -1}', "invalid_after"),
        ('{"type": "resume", "after": true}', "invalid_after"),
        ('{"type": "delete"}', "invalid_seq"),
        ('{"type": "mute", "seq": 1, "minutes": "ten"}', "invalid_minutes"),
        # Digit strings past Python's int-conversion limit, and numbers past a bigint.
        ('{"type": "resume", "after": "%s"}' % ("9" * 5000), "invalid_after"),
        ('{"type": "delete", "seq": "%s"}' % ("9" * 5000), "invalid_seq"),
        (f'{{"type": "delete", "seq": {2**63}}}', "invalid_seq"),
        ('{"type": "resume", "after": %s}' % ("9" * 5000), "invalid_json"),
        ("[" * 100_000 + "]" * 100_000, "invalid_json"),
        ('{"a": ' * 5000 + "1" + "}" * 5000, "invalid_json"),
    ],
)
def test_a_bad_frame_is_refused_with_its_code(text, code):
    with pytest.raises(FrameError) as refused:
        frame_parse(text, max_length=10)
    assert refused.value.code == code
    assert refused.value.detail


@pytest.mark.parametrize(
    "text",
    [
        "\u200b\u200c\u200d\u2060\ufeff",  # zero-width characters only
        "\u200b \u200b\n\u034f",  # with spaces and a combining grapheme joiner
        "\u0301\u0302\u0303",  # marks with nothing to sit on
        "\u202e\u2066\u3164",  # bidi controls and a Hangul filler
    ],
)
def test_a_message_with_nothing_visible_is_refused_as_empty(text):
    with pytest.raises(FrameError) as refused:
        frame_parse(json.dumps({"message": text}), max_length=100)
    assert refused.value.code == "empty_message"


def test_a_pile_of_combining_marks_on_one_character_is_refused():
    text = "a" + "\u0301" * 3999
    with pytest.raises(FrameError) as refused:
        frame_parse(json.dumps({"message": text}), max_length=4000)
    assert refused.value.code == "too_many_marks"
    assert "3,999" in refused.value.detail


@pytest.mark.parametrize(
    "text",
    [
        "Tiếng Việt",
        "e" + "\u0301" * frames.MESSAGE_MARKS_MAX,  # as many marks as allowed
        "\u05e9\u05c1\u05b8\u0591",  # Hebrew letter with points and a cantillation mark
        "a\u200bb",  # visible text around a zero-width space is kept as sent
        "abc \u202edef",  # shown isolated by the page; the text is kept as sent
    ],
)
def test_visible_text_with_marks_and_invisible_characters_is_accepted(text):
    assert frame_parse(json.dumps({"message": text}), max_length=100) == frames.SendMessage(text)


@pytest.mark.parametrize(
    "message",
    ["\u200b", "a" + "\u0301" * 20, "x" * 11, 5, "\ud800"],
)
def test_a_refused_message_frame_names_its_nonce(message):
    with pytest.raises(FrameError) as refused:
        frame_parse(json.dumps({"message": message, "nonce": "n-1"}), max_length=10)
    assert refused.value.nonce == "n-1"
