"""GET /api/search/: results of the rooms the requester may read, bad queries and dates."""

import pytest

from chat.tests.membership import api, client_of, error_code, person_new, post
from integrations.tokens import token_create

pytestmark = pytest.mark.django_db


def test_results_have_the_contract_fields(alice, bob, secret):
    post("secret", alice, "release notes drafted")
    results = api(client_of(bob), "get", "/api/search/?q=release+notes").json()["results"]
    assert [(r["room"], r["seq"], r["author"]) for r in results] == [("secret", 1, "alice")]
    assert "release" in results[0]["snippet"] and results[0]["created"]


def test_a_non_member_and_a_guest_get_nothing_from_a_private_room(alice, secret):
    post("secret", alice, "release notes drafted")
    for client in [client_of(person_new("carol")), client_of(guest=True)]:
        assert api(client, "get", "/api/search/?q=release").json() == {"results": []}


def test_a_token_searches_as_its_user(alice, bob, secret):
    post("secret", alice, "release notes drafted")
    bearer = f"Bearer {token_create(user=bob, name='cli')[1]}"
    response = api(client_of(), "get", "/api/search/?q=release", HTTP_AUTHORIZATION=bearer)
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize(
    "query, code",
    [("q=", "empty_query"), ("q=%22", "empty_query"), ("q=" + "x" * 10_000, "query_too_long"),
     ("q=a&before=yesterday", "invalid_date"), ("q=a&after=2026-13-40", "invalid_date")],
    ids=["empty", "quote", "10000", "before", "after"],
)  # fmt: skip
def test_a_bad_search_is_a_400_with_its_code(query, code):
    response = api(client_of(), "get", f"/api/search/?{query}")
    assert response.status_code == 400 and error_code(response) == code


def test_dates_filter(alice):
    post("lobby", alice, "old news")
    assert api(client_of(), "get", "/api/search/?q=news&after=2000-01-01").json()["results"]
    assert not api(client_of(), "get", "/api/search/?q=news&before=2000-01-01").json()["results"]
