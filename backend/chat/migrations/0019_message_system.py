"""Lines the server writes in a room ("pinned a message").

SQLite remakes chat_message to add a column, which drops the search triggers of
0012: they are made again (and the index rebuilt) afterwards, as in 0016."""

import importlib

from django.db import migrations, models

_search = importlib.import_module("chat.migrations.0012_message_search")


class Migration(migrations.Migration):

    dependencies = [
        ('chat', '0018_rooms_topics_pins_saved'),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='system',
            field=models.CharField(blank=True, default='', max_length=16),
        ),
        migrations.RunPython(_search.sqlite_search_again, migrations.RunPython.noop),
    ]
