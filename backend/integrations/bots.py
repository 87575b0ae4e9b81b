"""Bot accounts: made by staff, signed in only by their API tokens."""

from django.contrib.auth import get_user_model
from django.db import transaction

from integrations.models import Bot


@transaction.atomic
def bot_create(*, username: str, by) -> Bot:
    """A new user ``username`` that is a bot: no password (it can't log in on the page),
    a "bot" badge on its messages. Its tokens are made in the admin."""
    user = get_user_model()(username=username)
    user.set_unusable_password()
    user.save()
    return Bot.objects.create(user=user, created_by=by)
