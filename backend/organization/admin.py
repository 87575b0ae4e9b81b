"""People in Django's admin: deactivating someone there (unticking “active”, or the
list's action) does what the People page does; and the audit log, read-only."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from chat.services import ActionRefused
from organization.models import AuditEntry
from organization.services import (
    account_cut_off,
    audit_record,
    person_deactivate,
    person_reactivate,
)

User = get_user_model()


@admin.action(description="Deactivate the selected people")
def deactivate(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, person_deactivate)


@admin.action(description="Reactivate the selected people")
def reactivate(modeladmin, request, queryset):
    _each(modeladmin, request, queryset, person_reactivate)


def _each(modeladmin, request, queryset, change) -> None:
    for person in queryset:
        try:
            change(person=person, by=request.user)
        except ActionRefused as exc:
            modeladmin.message_user(request, f"{person.username}: {exc.detail}", messages.ERROR)


class PersonAdmin(UserAdmin):
    actions = [deactivate, reactivate]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            if obj.is_active:
                audit_record(by=request.user, action=AuditEntry.Action.REACTIVATE, target=obj)
            else:
                account_cut_off(obj)
                audit_record(by=request.user, action=AuditEntry.Action.DEACTIVATE, target=obj)


admin.site.unregister(User)
admin.site.register(User, PersonAdmin)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "target_name"]
    list_filter = ["action"]
    search_fields = ["actor_name", "target_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
