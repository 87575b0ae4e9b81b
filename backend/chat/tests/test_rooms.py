import re

import pytest

from chat.rooms import ROOM_NAME_MAX_LENGTH, InvalidRoomName, room_group_name, room_name_clean

# What channels accepts as a group name.
GROUP_NAME_RULE = re.compile(r"^[a-zA-Z0-9\-_.]{1,99}$")

NAMES_IN_MANY_SCRIPTS = ["lobby", "café", "日本語", "Ελληνικά", "dev-ops_2", "हिन्दी", "v1.2", "Ω"]


@pytest.mark.parametrize("name", NAMES_IN_MANY_SCRIPTS)
def test_names_in_any_script_are_accepted(name):
    assert room_name_clean(name) == name


@pytest.mark.parametrize("name", NAMES_IN_MANY_SCRIPTS + ["x" * ROOM_NAME_MAX_LENGTH])
def test_every_valid_name_maps_to_a_legal_group_name(name):
    assert GROUP_NAME_RULE.match(room_group_name(room_name_clean(name)))


def test_different_rooms_get_different_groups():
    assert room_group_name("café") != room_group_name("cafe")


def test_decomposed_and_composed_spellings_are_one_room():
    decomposed = "cafe\u0301"
    assert room_name_clean(decomposed) == "café"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "Enter a room name"),
        ("   ", "Enter a room name"),
        ("x" * (ROOM_NAME_MAX_LENGTH + 1), "at most 100 characters; this one has 101"),
        ("a/b", "slashes can't be used"),
        ("two words", "spaces can't be used"),
        ("semi;colon", "“;” can't be used"),
        ("tab\there", "spaces can't be used"),
        ("bell\x07", "U+0007"),
        ("..", "at least one letter or digit"),
        ("-_-", "at least one letter or digit"),
        ("lobby\u034f", "the invisible character U+034F"),
        ("lob\u200bby", "the invisible character U+200B"),
        ("\u0301\u0302", "at least one letter or digit"),
        ("\u0301lobby", "can't start with a combining mark"),
        ("a" + "\u0301" * 3999, "at most 100 characters"),
        ("x" + "\u0301\u0302\u0303\u0304\u0306", "at most 4 combining marks"),
    ],
)
def test_bad_names_are_refused_with_the_reason(name, reason):
    with pytest.raises(InvalidRoomName, match=re.escape(reason)):
        room_name_clean(name)
