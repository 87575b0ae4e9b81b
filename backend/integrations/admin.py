"""Staff make bots and their tokens here, and can revoke anyone's token or webhook.
A new token is shown once, in the page's messages."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from chat.services import ActionRefused
from chat.services.people import person_credentials_changed
from integrations.bots import bot_create, bot_token_create, bot_username_clean
from integrations.models import ApiToken, Bot, Webhook


class BotCreationForm(forms.ModelForm):
    """A bot is made with a new account of its own, named here."""

    username = forms.CharField(max_length=150, help_text="The name its messages are shown with.")

    class Meta:
        model = Bot
        fields = ["username"]

    def clean_username(self) -> str:
        try:
            return bot_username_clean(self.cleaned_data["username"])
        except ActionRefused as exc:
            raise forms.ValidationError(exc.detail) from None


@admin.action(description="Make a new token for the selected bots (shown once)")
def make_token(modeladmin, request, queryset):
    for bot in queryset.select_related("user"):
        secret = bot_token_create(bot=bot, by=request.user)
        modeladmin.message_user(
            request, f"New token of {bot}: {secret} (copy it now: it isn't shown again)",
            messages.WARNING,
        )  # fmt: skip


@admin.action(description="Revoke the selected")
def revoke(modeladmin, request, queryset):
    owners = set()
    if queryset.model is ApiToken:  # sockets signed in with a token check it again
        owners = set(queryset.filter(revoked_at__isnull=True).values_list("user_id", flat=True))
    revoked = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    for user_id in owners:
        person_credentials_changed(user_id=user_id)
    modeladmin.message_user(request, f"Revoked {revoked}.")


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ["user", "created_by", "created"]
    search_fields = ["user__username"]
    actions = [make_token]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = BotCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "created_by", "created"]

    def get_fields(self, request, obj=None):
        return ["username"] if obj is None else ["user", "created_by", "created"]

    # A new bot is its account and the bot row, made together by bot_create.
    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        return bot_create(username=form.cleaned_data["username"], by=request.user)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)


class SecretAdmin(admin.ModelAdmin):
    """Tokens and webhooks: made by their owners (or above, for bots), never edited;
    revoked here."""

    actions = [revoke]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(SecretAdmin):
    list_display = ["name", "user", "prefix", "created", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username"]


@admin.register(Webhook)
class WebhookAdmin(SecretAdmin):
    list_display = ["name", "room", "created_by", "created", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "room__name"]
