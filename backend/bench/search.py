"""The search benchmark: 1,000,000 messages on PostgreSQL, then two-word searches by a
person who may read 20 private rooms and the public ones; reports p50 and p95.

    python -m bench.search [--messages N] [--queries N]

Reads DATABASE_URL (PostgreSQL; default the local socket's ``chat_bench_search``
database, created if missing). A database already seeded with N messages is reused.
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import time

ROOMS, PRIVATE_ROOMS, MEMBER_OF = 200, 100, 20
DEFAULT_URL = "postgres://%2Fvar%2Frun%2Fpostgresql/chat_bench_search"
# Words drawn with a skewed frequency, as in real text: common ones match many
# messages, rare ones a few.
VOCABULARY = [f"w{n}" for n in range(5000)]


def _setup() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40)
    import django
    from django.db import connections

    django.setup()
    if connections["default"].vendor != "postgresql":
        sys.exit("The search benchmark needs PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    _database_create()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _database_create() -> None:
    """Create the database of DATABASE_URL if it doesn't exist."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    params = {"dbname": "postgres", "host": settings["HOST"] or None, "port": settings["PORT"]}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [settings["NAME"]]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{settings["NAME"]}"')


def _text(rng: random.Random) -> str:
    words = rng.choices(VOCABULARY, cum_weights=_weights(), k=rng.randint(4, 20))
    return " ".join(words)


_WEIGHTS: list[float] = []


def _weights() -> list[float]:
    """Cumulative weights of the vocabulary: the word of rank r is 1/r as frequent as the
    first (Zipf's law)."""
    if not _WEIGHTS:
        _WEIGHTS.extend(itertools.accumulate(1 / (rank + 1) for rank in range(len(VOCABULARY))))
    return _WEIGHTS


def _seed(messages: int) -> int:
    """The searcher's user id, after seeding (or finding) ``messages`` messages."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from chat.models import Membership, Message, Room

    searcher, _ = get_user_model().objects.get_or_create(username="bench-searcher")
    if Message.objects.count() == messages:
        return searcher.pk
    print(f"seeding {messages:,} messages in {ROOMS} rooms…", flush=True)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE chat_room CASCADE")
        rooms = Room.objects.bulk_create(
            Room(name=f"bench-{n}", kind=Room.Kind.PRIVATE if n < PRIVATE_ROOMS else "public")
            for n in range(ROOMS)
        )
        Membership.objects.bulk_create(
            Membership(room=room, user=searcher) for room in rooms[:MEMBER_OF]
        )
    rng = random.Random(7)
    per_room = messages // ROOMS
    with connection.cursor() as cursor:
        copy_sql = (
            "COPY chat_message (room_id, seq, author_name, author_is_guest, author_is_bot, "
            "sender_key, body, html, created, mentions) FROM STDIN"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            for room in rooms:
                for seq in range(1, per_room + 1):
                    copy.write_row((room.pk, seq, "bench", False, False, "guest:bench",
                                    _text(rng), "", "2026-01-01T00:00:00Z", "[]"))  # fmt: skip
        cursor.execute("UPDATE chat_room SET last_seq = %s", [per_room])
        cursor.execute("ANALYZE chat_message")
    return searcher.pk


def _run(user_id: int, queries: int) -> list[float]:
    from chat.search import message_search

    rng = random.Random(11)
    common = VOCABULARY[:200]
    timings = []
    for _ in range(queries):
        query = " ".join(rng.sample(common, 2))
        start = time.perf_counter()
        message_search(user_id=user_id, query=query)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    _setup()
    started = time.perf_counter()
    user_id = _seed(args.messages)
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    _run(user_id, 10)  # warm the caches
    timings = sorted(_run(user_id, args.queries))
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"search, {args.messages:,} messages, two common words in the searcher's rooms: "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (target p95 < 100 ms)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
