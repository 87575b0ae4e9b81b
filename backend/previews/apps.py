from django.apps import AppConfig


class PreviewsConfig(AppConfig):
    name = "previews"
    default_auto_field = "django.db.models.BigAutoField"
