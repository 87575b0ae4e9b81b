"""PostgreSQL keeps each message's search vector, so ranking a match reads it instead of
computing it again; the GIN index moves onto it. (SQLite's FTS5 table is unchanged.)"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE chat_message ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
    "CREATE INDEX chat_message_search_vector ON chat_message "
    "USING GIN (search_vector) WHERE deleted_at IS NULL",
    "DROP INDEX IF EXISTS chat_message_search",
]
BACKWARD = [
    "CREATE INDEX chat_message_search ON chat_message "
    "USING GIN (to_tsvector('simple', body)) WHERE deleted_at IS NULL",
    "DROP INDEX IF EXISTS chat_message_search_vector",
    "ALTER TABLE chat_message DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("chat", "0014_usernamelook")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
