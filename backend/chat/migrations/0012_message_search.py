"""Full-text search of messages' current text: a GIN index on PostgreSQL, an FTS5
table kept in step by triggers on SQLite (chat/search.py queries both)."""

from django.db import migrations

POSTGRES = [
    "CREATE INDEX chat_message_search ON chat_message "
    "USING GIN (to_tsvector('simple', body)) WHERE deleted_at IS NULL",
]
POSTGRES_BACK = ["DROP INDEX IF EXISTS chat_message_search"]

SQLITE = [
    "CREATE VIRTUAL TABLE chat_message_fts USING fts5(body, content='chat_message', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER chat_message_fts_insert AFTER INSERT ON chat_message BEGIN "
    "INSERT INTO chat_message_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER chat_message_fts_delete AFTER DELETE ON chat_message BEGIN "
    "INSERT INTO chat_message_fts(chat_message_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER chat_message_fts_update AFTER UPDATE OF body ON chat_message BEGIN "
    "INSERT INTO chat_message_fts(chat_message_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO chat_message_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO chat_message_fts(chat_message_fts) VALUES ('rebuild')",
]
SQLITE_BACK = [
    "DROP TRIGGER IF EXISTS chat_message_fts_insert",
    "DROP TRIGGER IF EXISTS chat_message_fts_delete",
    "DROP TRIGGER IF EXISTS chat_message_fts_update",
    "DROP TABLE IF EXISTS chat_message_fts",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def sqlite_search_again(apps, schema_editor):
    """For later migrations that make SQLite remake chat_message (to add a column), which
    drops the triggers above: the search table and triggers made again, and rebuilt."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*SQLITE_BACK, *SQLITE]:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("chat", "0011_message_author_is_bot")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_BACK, "sqlite": SQLITE_BACK}),
        ),
    ]
