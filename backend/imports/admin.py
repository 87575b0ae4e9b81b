from django.contrib import admin

from imports.models import SlackPerson


@admin.register(SlackPerson)
class SlackPersonAdmin(admin.ModelAdmin):
    """Seen here; made by ``import_slack`` and joined by signing up (imports.claims)."""

    list_display = ["slack_id", "user", "email", "imported", "joined"]
    search_fields = ["slack_id", "user__username", "email"]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False
