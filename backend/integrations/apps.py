from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """What lets other programs into the chat: API tokens, bot accounts, incoming webhooks."""

    name = "integrations"
    default_auto_field = "django.db.models.BigAutoField"
