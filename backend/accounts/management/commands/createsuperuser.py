"""Django's ``createsuperuser``, after which the new owner is in ``general`` as the owner
made by the first-run page is."""

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser

from organization.invitations import general_join


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        people = get_user_model()._default_manager.db_manager(options["database"])
        before = set(people.filter(is_superuser=True).values_list("pk", flat=True))
        super().handle(*args, **options)
        for owner in people.filter(is_superuser=True).exclude(pk__in=before):
            general_join(owner)
