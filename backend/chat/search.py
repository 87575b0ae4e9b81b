"""Full-text search of the messages a person may read.

PostgreSQL answers with its own full-text search (``websearch_to_tsquery`` on the
``simple`` configuration, so words of any language or script match as written,
ranked by ``ts_rank``, snippets from ``ts_headline``); SQLite with FTS5 (bm25),
the query translated to FTS5's syntax with every word quoted. Both read a
message's current text only: an edit's old text and deleted messages are never
found. The rooms searched are those the searcher may read, found by a subquery of
the search itself (never a list of every public room's id).

A search is bounded: only the newest ``CANDIDATES_MAX`` matches are ranked (on
PostgreSQL from a stored ``tsvector``, not one computed per match), and it is
cut off after ``SEARCH_SECONDS_MAX`` (PostgreSQL's statement timeout; SQLite's
progress handler), refused as ``search_too_broad``.
"""

import contextlib
import html
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from django.db import OperationalError, connection, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.access import guest_account, visitor_check
from chat.formatting import plain_text
from chat.models import Room

QUERY_MAX_LENGTH = 200
RESULTS_MAX = 50
# The newest matches that are ranked, at most: the best of them are the results.
CANDIDATES_MAX = 2000
# A search taking longer is stopped.
SEARCH_SECONDS_MAX = 3.0
# SQLite checks the time every this many of its virtual machine's instructions.
SQLITE_CHECK_EVERY = 10_000
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
    author_display: str = ""  # the author's display name when they posted it
    thread: int | None = None  # a reply in a thread: its root's seq


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
    first among equals; raises SearchError for a query that can't be searched, and
    SignInRequired for a visitor when CHAT_GUESTS is off."""
    visitor_check(signed_in=user_id is not None)
    query = " ".join(query.split())
    if len(query) > QUERY_MAX_LENGTH:
        raise SearchError(
            "query_too_long",
            format_lazy(_("A search has at most {max} characters."), max=QUERY_MAX_LENGTH),
        )
    terms = _terms(query)
    if not any(not term.negated for term in terms):
        raise SearchError("empty_query", _("Search for at least one word."))
    # The rooms the person may read: every public room, and those they are a member of.
    # A guest account reads only the rooms it is a member of.
    readable = "SELECT id FROM chat_room WHERE kind = %s"
    params: list = [Room.Kind.PUBLIC]
    if user_id is not None and guest_account(user_id):
        readable, params = "SELECT room_id FROM chat_membership WHERE user_id = %s", [user_id]
    elif user_id is not None:
        readable += " UNION SELECT room_id FROM chat_membership WHERE user_id = %s"
        params.append(user_id)
    where = [f"m.room_id IN ({readable})", "m.deleted_at IS NULL"]
    if room is not None:
        where.append("m.room_id IN (SELECT id FROM chat_room WHERE name = %s)")
        params.append(room)
    if author:
        where.append("LOWER(m.author_name) = LOWER(%s)")
        params.append(author)
    for bound, operator in [(before, "<"), (after, ">")]:
        if bound is not None:
            where.append(f"m.created {operator} %s")
            params.append(connection.ops.adapt_datetimefield_value(bound))
    limit = max(1, min(limit, RESULTS_MAX))
    run = _postgres if connection.vendor == "postgresql" else _sqlite
    try:
        rows = run(query, terms, where, params, limit)
    except OperationalError as exc:
        if not _timed_out(exc):
            raise
        raise SearchError(
            "search_too_broad",
            _("The search took too long: narrow it down (more words, a room, an author, dates)."),
        ) from None
    return [
        SearchHit(name, seq, author_name, *_snippet(snippet), created, author_display, thread)
        for name, seq, author_name, author_display, snippet, created, thread in rows
    ]


def _timed_out(exc: OperationalError) -> bool:
    text = str(exc).lower()
    return "statement timeout" in text or "interrupted" in text


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
        SELECT r.name, m.seq, m.author_name, m.author_display,
               ts_headline('simple', m.body, {tsquery},
                           'StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12'),
               m.created, m.thread
        FROM (
            SELECT newest.id, ts_rank(newest.search_vector, {tsquery}) AS rank
            FROM (
                SELECT m.id, m.search_vector
                FROM chat_message m
                WHERE m.search_vector @@ {tsquery} AND {" AND ".join(where)}
                ORDER BY m.id DESC
                LIMIT {CANDIDATES_MAX}
            ) newest
            ORDER BY rank DESC, newest.id DESC
            LIMIT %s
        ) best
        JOIN chat_message m ON m.id = best.id
        JOIN chat_room r ON r.id = m.room_id
        ORDER BY best.rank DESC, m.created DESC, m.id DESC
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = {int(SEARCH_SECONDS_MAX * 1000)}")
        cursor.execute(sql, [query, query, query, *params, limit])
        return cursor.fetchall()


def _sqlite(query: str, terms, where: list[str], params: list, limit: int):
    match = _fts5_query(terms)
    best = f"""
        SELECT newest.id FROM (
            SELECT m.id, m.created, bm25(chat_message_fts) AS rank
            FROM chat_message_fts
            JOIN chat_message m ON m.id = chat_message_fts.rowid
            WHERE chat_message_fts MATCH %s AND {" AND ".join(where)}
            ORDER BY chat_message_fts.rowid DESC
            LIMIT {CANDIDATES_MAX}
        ) newest
        ORDER BY newest.rank, newest.created DESC, newest.id DESC
        LIMIT %s
    """
    with _sqlite_deadline(), connection.cursor() as cursor:
        cursor.execute(best, [match, *params, limit])
        ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return []
        # Snippets of the results only: each re-reads its message's text.
        listed = ", ".join("%s" for _ in ids)
        cursor.execute(
            f"""
            SELECT m.id, r.name, m.seq, m.author_name, m.author_display,
                   snippet(chat_message_fts, 0, '{_START}', '{_STOP}', '…', 24), m.created,
                   m.thread
            FROM chat_message_fts
            JOIN chat_message m ON m.id = chat_message_fts.rowid
            JOIN chat_room r ON r.id = m.room_id
            WHERE chat_message_fts MATCH %s AND chat_message_fts.rowid IN ({listed})
            """,
            [match, *ids],
        )
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    return [(*found[i][:5], _datetime(found[i][5]), found[i][6]) for i in ids if i in found]


@contextlib.contextmanager
def _sqlite_deadline():
    """Interrupt SQLite's statements after SEARCH_SECONDS_MAX (sqlite3's progress handler)."""
    connection.ensure_connection()
    raw = connection.connection
    deadline = time.monotonic() + SEARCH_SECONDS_MAX
    raw.set_progress_handler(lambda: time.monotonic() > deadline, SQLITE_CHECK_EVERY)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


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
    """A headline's plain text (its words, not the Markdown typed), and its escaped HTML
    with the marks as <mark>."""
    marked = plain_text(marked)
    text = marked.replace(_START, "").replace(_STOP, "")
    escaped = html.escape(marked)
    return text, escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")
