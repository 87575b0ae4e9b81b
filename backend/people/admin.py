from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from chat.services import ActionRefused
from people.groups import group_name_clean
from people.models import Group, Profile


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "members"]

    def clean_name(self):
        try:
            return group_name_clean(self.cleaned_data["name"], renaming=self.instance)
        except ActionRefused as exc:
            raise ValidationError(exc.detail) from None


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    form = GroupForm
    list_display = ["name", "created"]
    search_fields = ["name"]
    filter_horizontal = ["members"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """Seen here; changed by each person at /profile/ (where every field is checked and
    their open tabs hear of it)."""

    list_display = ["user", "display_name", "time_zone", "dnd_until", "email_notify"]
    search_fields = ["user__username", "display_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
