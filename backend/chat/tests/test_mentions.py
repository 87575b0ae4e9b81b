"""Which names a message @mentions: at a word's start, case-insensitively, the longest name
that ends where the text's name ends, in the order of first appearance."""

import pytest

from chat import mentions
from chat.mentions import mentions_find


def test_a_text_without_an_at_sign_mentions_nobody():
    assert mentions_find("hello alice", ["alice"]) == []


def test_an_address_like_bob_at_example_com_mentions_nobody():
    assert mentions_find("write to bob@example.com", ["example.com", "example"]) == []


@pytest.mark.parametrize("text", ["@alice hi", "(@alice)", "hi,@alice", "hi @alice"])
def test_an_at_sign_at_the_start_or_after_a_non_word_character_mentions(text):
    assert mentions_find(text, ["alice"]) == ["alice"]


def test_an_at_sign_after_a_combining_mark_does_not_mention():
    assert mentions_find("e\u0301@alice", ["alice"]) == []


def test_names_match_case_insensitively_and_come_back_as_given():
    assert mentions_find("hi @ALICE", ["Alice"]) == ["Alice"]


def test_names_match_whatever_the_unicode_normalization():
    decomposed = "Jose\u0301"
    assert mentions_find(f"@{decomposed} hi", ["José"]) == ["José"]
    assert mentions_find("@José hi", [decomposed]) == [decomposed]


@pytest.mark.parametrize(
    ("text", "name"),
    [("@straße hi", "STRASSE"), ("@STRASSE hi", "straße"), ("@Straße", "strasse")],
)
def test_casefolding_that_changes_length_still_matches(text, name):
    assert mentions_find(text, [name]) == [name]


def test_a_name_that_casefolds_longer_does_not_swallow_the_next_word():
    assert mentions_find("@straßen", ["strasse"]) == []


@pytest.mark.parametrize(
    "name",
    ["José Luis", "محمد علي", "王伟", "Дмитрий", "मोहन लाल", "Ελένη", "김민수", "יעל"],
)
def test_names_in_any_script_and_with_spaces_are_mentioned(name):
    assert mentions_find(f"thanks @{name}, see you", [name, "other"]) == [name]


def test_a_devanagari_name_does_not_match_when_a_combining_mark_follows():
    assert mentions_find("@मोहना hi", ["मोह", "मोहन"]) == []
    assert mentions_find("@मोहि hi", ["मोह"]) == []


def test_the_longest_matching_name_wins():
    assert mentions_find("@Ann Lee hi", ["ann", "ann lee"]) == ["ann lee"]


def test_a_shorter_name_matches_when_the_longer_one_is_not_there():
    assert mentions_find("@ann hi", ["ann", "ann lee"]) == ["ann"]


def test_a_shorter_name_matches_when_the_longer_one_does_not_end_at_a_boundary():
    assert mentions_find("@ann leeway", ["ann", "ann lee"]) == ["ann"]


@pytest.mark.parametrize("text", ["@alice-smith", "@alice_2", "@alicex", "@alice+1", "@alice@x"])
def test_a_name_followed_by_a_name_character_is_not_mentioned(text):
    assert mentions_find(text, ["alice"]) == []


@pytest.mark.parametrize("text", ["@alice.", "@alice. Next", "@alice..."])
def test_a_dot_not_followed_by_a_letter_or_digit_ends_a_name(text):
    assert mentions_find(text, ["alice"]) == ["alice"]


@pytest.mark.parametrize("text", ["@alice.smith", "@alice.2"])
def test_a_dot_followed_by_a_letter_or_digit_continues_a_name(text):
    assert mentions_find(text, ["alice"]) == []


@pytest.mark.parametrize(
    "text", ["@alice,", "@alice!", "@alice?", "@alice:", "(@alice)", "@alice's", "@alice\n"]
)
def test_punctuation_and_whitespace_end_a_name(text):
    assert mentions_find(text, ["alice"]) == ["alice"]


def test_a_name_that_is_a_prefix_of_another_never_mentions_the_wrong_person():
    assert mentions_find("@alice", ["al", "alice"]) == ["alice"]
    assert mentions_find("@al", ["al", "alice"]) == ["al"]
    assert mentions_find("@alice", ["al"]) == []


def test_mentions_come_in_order_of_first_appearance_each_once():
    text = "@bob and @alice, then @Bob again and @carol"
    assert mentions_find(text, ["alice", "bob", "carol"]) == ["bob", "alice", "carol"]


def test_empty_and_whitespace_only_names_are_ignored():
    assert mentions_find("@ hi @\t@", ["", " ", "\t"]) == []


def test_duplicated_names_return_the_first_as_given():
    assert mentions_find("@ALICE", ["Alice", "alice", "ALICE"]) == ["Alice"]


def test_many_names_and_a_long_text_find_the_mentions():
    names = [f"user{n}" for n in range(2000)]
    filler = "lorem ipsum dolor sit amet, user5 mail@user7.com " * 80
    text = f"@user1999 {filler} (@user42) {filler} @user4, @user19999 @user1999"
    assert len(text) > 4000
    assert mentions_find(text, names) == ["user1999", "user42", "user4"]


def test_matching_normalizes_each_name_once_not_each_stretch_of_text(monkeypatch):
    # A text of 4,000 "@" and a 150-character name: normalizing the 150 characters after
    # each "@" at each possible length cost 200 ms of CPU per message.
    calls = []
    real = mentions.name_key
    monkeypatch.setattr(mentions, "name_key", lambda name: calls.append(name) or real(name))
    names = ["a" * 150, "bob"]
    assert mentions_find("@" * 4000 + " @bob", names) == ["bob"]
    assert len(calls) == len(names)
