from django.contrib import admin

from chat.models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "created", "last_seq"]
    search_fields = ["name"]
    readonly_fields = ["last_seq"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["room", "seq", "author_name", "author_is_guest", "created", "body"]
    list_filter = ["author_is_guest"]
    search_fields = ["room__name", "author_name", "body"]
    list_select_related = ["room"]
    readonly_fields = ["room", "seq", "sender_key", "nonce", "created"]
    ordering = ["-created"]
