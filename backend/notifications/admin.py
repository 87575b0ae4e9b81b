from django.contrib import admin

from notifications.models import PushSubscription


@admin.register(PushSubscription)
class PushSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "endpoint_host", "created", "last_error"]
    list_select_related = ["user"]
    search_fields = ["user__username", "endpoint"]
    readonly_fields = ["created"]

    @admin.display(description="push service")
    def endpoint_host(self, obj: PushSubscription) -> str:
        return obj.endpoint_host
