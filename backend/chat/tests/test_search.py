"""Searching messages: only rooms the searcher may read, current text only, filters,
ranking, and queries that can't be searched."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chat import search
from chat.models import Membership, Message
from chat.search import SearchError, message_search
from chat.services import editing, moderation
from chat.tests.membership import identity, person_new, post

pytestmark = pytest.mark.django_db


def found(user, query: str, **filters) -> list[tuple[str, int]]:
    hits = message_search(user_id=user.pk if user else None, query=query, **filters)
    return [(hit.room, hit.seq) for hit in hits]


def test_a_member_finds_a_private_rooms_message_and_others_dont(alice, bob, secret):
    post("secret", alice, "the launch codes are ready")
    carol = person_new("carol")
    assert found(bob, "launch codes") == [("secret", 1)]
    assert found(carol, "launch codes") == []
    assert found(None, "launch codes") == []


def test_a_removed_member_no_longer_finds_it(alice, bob, secret):
    post("secret", alice, "quarterly numbers")
    Membership.objects.filter(user=bob).delete()
    assert found(bob, "quarterly") == []


def test_a_guest_finds_public_messages(alice):
    post("lobby", alice, "welcome everyone")
    assert found(None, "welcome") == [("lobby", 1)]


def test_a_deleted_message_is_not_found(alice):
    post("lobby", alice, "oops secret password")
    moderation.message_delete_store(room_name="lobby", seq=1, identity=identity(alice))
    assert found(alice, "password") == []


def test_an_edited_message_is_found_by_its_new_text_only(alice):
    post("lobby", alice, "meeting on monday")
    editing.message_edit_store(
        room_name="lobby", seq=1, identity=identity(alice), text="meeting on tuesday"
    )
    assert found(alice, "tuesday") == [("lobby", 1)]
    assert found(alice, "monday") == []


def test_filters_by_room_author_and_date(alice, bob):
    post("lobby", alice, "deploy done")
    post("ops", bob, "deploy done")
    assert found(alice, "deploy", room="ops") == [("ops", 1)]
    assert found(alice, "deploy", author="ALICE") == [("lobby", 1)]
    later = timezone.now() + timedelta(days=1)
    assert found(alice, "deploy", after=later) == []
    assert len(found(alice, "deploy", before=later)) == 2


def test_the_best_match_comes_first_then_the_newest(alice):
    post("lobby", alice, "cats dogs birds fish")
    post("lobby", alice, "cats cats cats fish")
    post("lobby", alice, "cats dogs birds fish")
    assert found(alice, "cats")[0] == ("lobby", 2)
    assert found(alice, "cats")[1:] == [("lobby", 3), ("lobby", 1)]


def test_phrases_and_negation(alice):
    post("lobby", alice, "red green blue")
    post("lobby", alice, "green red")
    assert found(alice, '"red green"') == [("lobby", 1)]
    assert found(alice, "red -blue") == [("lobby", 2)]


def test_accents_count_on_both_databases(alice):
    post("lobby", alice, "naïve café")
    assert found(alice, "cafe") == []
    assert found(alice, "café") == [("lobby", 1)]


def test_either_word_with_or(alice):
    post("lobby", alice, "apples today")
    post("lobby", alice, "pears today")
    post("lobby", alice, "plums today")
    assert sorted(found(alice, "apples OR pears today")) == [("lobby", 1), ("lobby", 2)]


def test_the_snippet_marks_the_words_and_escapes_the_rest(alice):
    post("lobby", alice, "<b>bold</b> claim about rockets")
    [hit] = message_search(user_id=alice.pk, query="rockets")
    assert "rockets" in hit.snippet and "<mark>" not in hit.snippet
    assert "<mark>rockets</mark>" in hit.snippet_html and "<b>" not in hit.snippet_html


@pytest.mark.parametrize("text", ["привет мир", "日本語", "naïve café"])
def test_words_of_any_script(alice, text):
    post("lobby", alice, text)
    assert found(alice, text.split()[0]) == [("lobby", 1)]


@pytest.mark.parametrize("query", ["", "   ", '"', "-", "OR", "-word", '""'])
def test_a_query_with_no_word_is_refused(alice, query):
    with pytest.raises(SearchError) as error:
        message_search(user_id=alice.pk, query=query)
    assert error.value.code == "empty_query"


def test_a_very_long_query_is_refused(alice):
    with pytest.raises(SearchError) as error:
        message_search(user_id=alice.pk, query="x" * 10_000)
    assert error.value.code == "query_too_long"


@pytest.mark.parametrize("query", ["'; DROP TABLE chat_message; --", 'a" OR 1=1 --', "NEAR(a b)"])
def test_sql_or_operator_looking_text_is_just_words(alice, query):
    post("lobby", alice, "drop table chat message near")
    message_search(user_id=alice.pk, query=query)  # no error
    assert Message.objects.count() == 1


def test_only_the_newest_matches_are_ranked(alice, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES_MAX", 2)
    post("lobby", alice, "cats cats cats cats")  # the best match, but the oldest
    post("lobby", alice, "cats and dogs and birds")
    post("lobby", alice, "cats and fish and more")
    assert sorted(found(alice, "cats")) == [("lobby", 2), ("lobby", 3)]


def test_the_readable_rooms_are_a_subquery_not_a_list_of_every_public_room(alice):
    for number in range(30):
        post(f"public-{number}", alice, "hello there")
    statements = []

    def recorded(execute, sql, params, many, context):
        statements.append(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(recorded):
        assert len(found(None, "hello")) == 20
    assert max(len(params or ()) for params in statements) < 30


def test_a_search_that_takes_too_long_is_stopped_and_refused(alice, monkeypatch):
    post("lobby", alice, "hello there")
    if connection.vendor == "postgresql":
        # PostgreSQL stops it itself: the search runs under a statement timeout.
        seen = []

        def recorded(execute, sql, params, many, context):
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(recorded):
            found(alice, "hello")
        assert any("statement_timeout" in sql for sql in seen)
        return
    monkeypatch.setattr(search, "SEARCH_SECONDS_MAX", -1.0)  # past already
    monkeypatch.setattr(search, "SQLITE_CHECK_EVERY", 1)
    with pytest.raises(SearchError) as refused:
        found(alice, "hello")
    assert refused.value.code == "search_too_broad"
    monkeypatch.setattr(search, "SEARCH_SECONDS_MAX", 3.0)
    assert found(alice, "hello") == [("lobby", 1)]  # the connection is usable afterwards


def test_a_snippet_shows_the_words_not_the_markdown(alice):
    post("lobby", alice, "the **launch** is in [the plan](https://example.com)")
    (hit,) = message_search(user_id=alice.pk, query="launch")
    assert "**" not in hit.snippet and "](" not in hit.snippet
    assert "launch" in hit.snippet and "the plan" in hit.snippet
    assert "<mark>launch</mark>" in hit.snippet_html
