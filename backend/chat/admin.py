from django.contrib import admin

from chat.models import Message, Mute, Room
from chat.services import moderation


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "created", "last_seq"]
    search_fields = ["name"]
    readonly_fields = ["last_seq"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "room",
        "seq",
        "author_name",
        "author_is_guest",
        "created",
        "body",
        "deleted_at",
    ]
    list_filter = ["author_is_guest", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["room__name", "author_name", "body"]
    list_select_related = ["room"]
    readonly_fields = ["room", "seq", "sender_key", "nonce", "created", "deleted_at", "deleted_by"]
    ordering = ["-created"]
    actions = ["delete_for_everyone"]

    @admin.action(description="Delete selected messages for everyone (removed live from open tabs)")
    def delete_for_everyone(self, request, queryset):
        moderation.messages_delete_by_staff(queryset, by=request.user)


@admin.register(Mute)
class MuteAdmin(admin.ModelAdmin):
    list_display = ["name", "room", "until", "created_by", "created"]
    search_fields = ["name", "room__name"]
    list_select_related = ["room", "created_by"]
    readonly_fields = ["created", "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
