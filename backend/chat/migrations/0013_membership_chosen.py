from django.db import migrations, models


def only_readers_of_public_rooms_unchosen(apps, schema_editor):
    # Memberships of public rooms came from reading them, but the owners'.
    Membership = apps.get_model("chat", "Membership")
    Membership.objects.filter(room__kind="public", is_owner=False).update(chosen=False)


class Migration(migrations.Migration):
    dependencies = [("chat", "0012_message_search")]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="chosen",
            field=models.BooleanField(
                default=True,
                help_text="A member by choice, not only by reading a public room: stays a "
                "member if the room is made private.",
            ),
        ),
        migrations.RunPython(only_readers_of_public_rooms_unchosen, migrations.RunPython.noop),
    ]
