from django.contrib import admin

from chat.models import Invitation, Membership, Message, MessageEdit, Mute, Room
from chat.services import editing, moderation
from chat.services.rooms import access_changed, room_changed, room_made_private


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]
    fields = ["user", "is_owner", "chosen", "last_read_seq", "joined"]
    readonly_fields = ["last_read_seq", "joined"]

    def _dm(self, obj) -> bool:
        return obj is not None and obj.kind == Room.Kind.DM

    # A direct message has its two people, always.
    def has_add_permission(self, request, obj=None):
        return not self._dm(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._dm(obj) and super().has_delete_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._dm(obj) and super().has_change_permission(request, obj)


class InvitationInline(admin.TabularInline):
    """Invitations are made from the room page; here they can be revoked (set “revoked at”)."""

    model = Invitation
    extra = 0
    can_delete = False
    fields = ["created_by", "created", "expires", "used_by", "used_at", "revoked_at"]
    readonly_fields = ["created_by", "created", "used_by", "used_at"]

    def has_add_permission(self, request, obj=None):
        return False  # the link is shown once, to whoever makes it: make them on the page


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """Rooms can't be deleted once they have handed out a seq: a room re-created under the
    same name would number its messages from 1 again, and open tabs (and ``?after=``)
    would take the new messages for ones they already have. Delete their messages
    instead (they keep their seqs).

    Members changed here (or the kind) are checked again by the open connections, as
    when they change on the page, once the save commits; a new topic, description or
    archived state reaches the open pages as it does from the API."""

    list_display = ["name", "kind", "created", "last_seq"]
    list_filter = ["kind"]
    search_fields = ["name"]
    readonly_fields = ["last_seq", "dm_pair"]
    inlines = [MembershipInline, InvitationInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or {"kind", "name"} & set(form.changed_data):
            access_changed(obj, whole_room=True)  # made, private, or named anew
        if change and "name" in form.changed_data:
            access_changed(Room(name=form.initial["name"], kind=obj.kind), whole_room=True)
        if change and {"topic", "description", "archived_at"} & set(form.changed_data):
            room_changed(obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        was_public = form.initial.get("kind") == Room.Kind.PUBLIC
        if change and was_public and form.instance.kind != Room.Kind.PUBLIC:
            # After the member rows: one ticked "chosen" on this same save stays.
            room_made_private(form.instance)

    def save_formset(self, request, form, formset, change):
        instances = formset.save()
        if formset.model is Membership:
            changed = {m.user_id for m in instances} | {m.user_id for m in formset.deleted_objects}
            if changed:
                access_changed(form.instance, *changed)
        return instances

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.last_seq > 0:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would skip the check above
        return actions


class MessageEditInline(admin.TabularInline):
    """The texts a message had before each of its edits (newest last)."""

    model = MessageEdit
    extra = 0
    can_delete = False
    fields = ["edited_at", "editor_name", "body"]
    readonly_fields = fields
    verbose_name = "earlier version"

    def has_add_permission(self, request, obj=None):
        return False


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
    readonly_fields = [
        "room", "seq", "sender_key", "nonce", "created", "edited_at", "html", "mentions",
        "deleted_at", "deleted_by", "system", "preview", "thread", "thread_replies",
        "thread_last_seq", "thread_last_at", "thread_people",
    ]  # fmt: skip
    ordering = ["-created"]
    actions = ["delete_for_everyone"]
    inlines = [MessageEditInline]

    def save_model(self, request, obj, form, change):
        """A new body is an edit: the old one is kept, and open tabs get the new text."""
        if not (change and "body" in form.changed_data):
            return super().save_model(request, obj, form, change)
        text = obj.body
        obj.body = form.initial["body"]  # the edit below replaces it, keeping this version
        super().save_model(request, obj, form, change)
        editing.message_edit_by_staff(obj, text=text, by=request.user)

    @admin.action(description="Delete selected messages for everyone (removed live from open tabs)")
    def delete_for_everyone(self, request, queryset):
        self._deleted(request, moderation.messages_delete_by_staff(queryset, by=request.user))

    # Django's own deletions ("Delete selected", the Delete button) delete for everyone
    # too: a message row is never removed, so its seq stays, shown as deleted.
    def delete_queryset(self, request, queryset):
        self._deleted(request, moderation.messages_delete_by_staff(queryset, by=request.user))

    def delete_model(self, request, obj):
        self._deleted(
            request,
            moderation.messages_delete_by_staff(Message.objects.filter(pk=obj.pk), by=request.user),
        )

    def _deleted(self, request, count: int) -> None:
        self.message_user(
            request,
            f"{count} message{'' if count == 1 else 's'} deleted for everyone: removed live "
            "from open tabs. Each keeps its place (seq) in its room, shown as deleted.",
        )


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
