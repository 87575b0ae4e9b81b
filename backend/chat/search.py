"""Full-text search of the messages a person may read.

PostgreSQL answers with its own full-text search (``websearch_to_tsquery`` on the
``simple`` configuration, so words of any language or script match as written,
ranked by ``ts_rank``, snippets from ``ts_headline``); SQLite with FTS5 (bm25),
the query translated to FTS5's syntax with every word quoted. Both read a
message's current text only: an edit's old text and deleted messages are never
found. The rooms searched are those the searcher may read, found once per search.
"""

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import connection
from django.db.models import Q

from chat.models import Room

QUERY_MAX_LENGTH = 200
RESULTS_MAX = 50
# Highlight marks inside a snippet: private-use characters, turned into <mark> by
# ``_snippet``. A message holding them itself only gets stray (escaped-text) marks.
_START, _STOP = "\ue000", "\ue001"
_WORDS = re.compile(r'"([^"]*)"?|(\S+)')


class SearchError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


@dataclass(frozen=True, slots=True)
class SearchHit:
    room: str
    seq: int
    author: str
    snippet: str  # plain text
    snippet_html: str  # the same text, escaped, with the matched words in <mark>
    created: datetime


def readable_room_ids(*, user_id: int | None) -> list[int]:
    """Every public room, and the private rooms and DMs ``user_id`` is a member of."""
    readable = Q(kind=Room.Kind.PUBLIC)
    if user_id is not None:
        readable |= Q(memberships__user_id=user_id)
    return list(Room.objects.filter(readable).values_list("id", flat=True).distinct())


def message_search(
    *,
    user_id: int | None,
    query: str,
    room: str | None = None,
    author: str | None = None,
    before: datetime | None = None,
    after: datetime | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """The best matches of ``query`` (web-search style: words, "a phrase", -word,
    OR) among messages ``user_id`` (None: a guest) may read, best first, newest
    first among equals; raises SearchError for a query that can't be searched."""
    query = " ".join(query.split())
    if len(query) > QUERY_MAX_LENGTH:
        raise SearchError("query_too_long", f"A search has at most {QUERY_MAX_LENGTH} characters.")
    terms = _terms(query)
    if not any(not term.negated for term in terms):
        raise SearchError("empty_query", "Search for at least one word.")
    room_ids = readable_room_ids(user_id=user_id)
    if room is not None:
        room_ids = list(
            Room.objects.filter(id__in=room_ids, name=room).values_list("id", flat=True)
        )
    if not room_ids:
        return []
    placeholders = ", ".join(["%s"] * len(room_ids))
    where = [f"m.room_id IN ({placeholders})", "m.deleted_at IS NULL"]
    params: list = list(room_ids)
    if author:
        where.append("LOWER(m.author_name) = LOWER(%s)")
        params.append(author)
    for bound, operator in [(before, "<"), (after, ">")]:
        if bound is not None:
            where.append(f"m.created {operator} %s")
            params.append(connection.ops.adapt_datetimefield_value(bound))
    limit = max(1, min(limit, RESULTS_MAX))
    run = _postgres if connection.vendor == "postgresql" else _sqlite
    return [
        SearchHit(name, seq, author_name, *_snippet(snippet), created)
        for name, seq, author_name, snippet, created in run(query, terms, where, params, limit)
    ]


class Term(NamedTuple):
    text: str  # words, separated by one space
    negated: bool  # -word: must not match
    either: bool  # after OR: this or the term before it


def _terms(query: str) -> list[Term]:
    """The words and "phrases" of a query, in order."""
    terms: list[Term] = []
    after_or = False
    for match in _WORDS.finditer(query):
        phrase, word = match.groups()
        if word == "OR":
            after_or = bool(terms)
            continue
        negated = word is not None and word.startswith("-")
        phrase = " ".join(re.findall(r"\w+", word.lstrip("-") if word is not None else phrase))
        if phrase:
            terms.append(Term(phrase, negated, after_or and not negated))
        after_or = False
    return terms


def _postgres(query: str, terms, where: list[str], params: list, limit: int):
    tsquery = "websearch_to_tsquery('simple', %s)"
    sql = f"""
        SELECT r.name, m.seq, m.author_name,
               ts_headline('simple', m.body, {tsquery},
                           'StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12'),
               m.created
        FROM (
            SELECT m.id, ts_rank(to_tsvector('simple', m.body), {tsquery}) AS rank
            FROM chat_message m
            WHERE to_tsvector('simple', m.body) @@ {tsquery} AND {" AND ".join(where)}
            ORDER BY rank DESC, m.created DESC, m.id DESC
            LIMIT %s
        ) best
        JOIN chat_message m ON m.id = best.id
        JOIN chat_room r ON r.id = m.room_id
        ORDER BY best.rank DESC, m.created DESC, m.id DESC
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, query, query, *params, limit])
        return cursor.fetchall()


def _sqlite(query: str, terms, where: list[str], params: list, limit: int):
    match = _fts5_query(terms)
    sql = f"""
        SELECT r.name, m.seq, m.author_name,
               snippet(chat_message_fts, 0, '{_START}', '{_STOP}', '…', 24),
               m.created
        FROM chat_message_fts
        JOIN chat_message m ON m.id = chat_message_fts.rowid
        JOIN chat_room r ON r.id = m.room_id
        WHERE chat_message_fts MATCH %s AND {" AND ".join(where)}
        ORDER BY bm25(chat_message_fts), m.created DESC, m.id DESC
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *params, limit])
        rows = cursor.fetchall()
    return [(*row[:4], _datetime(row[4])) for row in rows]


def _fts5_query(terms: list[Term]) -> str:
    """FTS5 syntax for the terms: each quoted (so nothing in them is an operator),
    wanted ones ANDed (those joined by OR grouped), negated ones after NOT."""
    groups: list[list[str]] = []
    for term in terms:
        if term.negated:
            continue
        if term.either and groups:
            groups[-1].append(f'"{term.text}"')
        else:
            groups.append([f'"{term.text}"'])
    wanted = " AND ".join(f"({' OR '.join(group)})" for group in groups)
    unwanted = [f'"{term.text}"' for term in terms if term.negated]
    return " NOT ".join([f"({wanted})", *unwanted])


def _datetime(value) -> datetime:
    """A datetime as SQLite hands it back (text, in UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _snippet(marked: str) -> tuple[str, str]:
    """A headline's plain text, and its escaped HTML with the marks as <mark>."""
    text = marked.replace(_START, "").replace(_STOP, "")
    escaped = html.escape(marked)
    return text, escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")
