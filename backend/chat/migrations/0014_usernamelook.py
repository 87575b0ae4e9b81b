import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def looks_of_existing_accounts(apps, schema_editor):
    from chat.identity import name_skeleton_pair

    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    UsernameLook = apps.get_model("chat", "UsernameLook")
    looks = []
    for pk, username in User.objects.values_list("pk", "username").iterator():
        skeleton, skeleton_cased = name_skeleton_pair(username)
        looks.append(UsernameLook(user_id=pk, skeleton=skeleton, skeleton_cased=skeleton_cased))
    UsernameLook.objects.bulk_create(looks, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0013_membership_chosen"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="UsernameLook",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("skeleton", models.CharField(db_index=True, max_length=1000)),
                ("skeleton_cased", models.CharField(db_index=True, max_length=1000)),
            ],
        ),
        migrations.RunPython(looks_of_existing_accounts, migrations.RunPython.noop),
    ]
