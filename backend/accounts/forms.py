from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from chat.identity import (
    DISPLAY_NAME_MAX_LENGTH,
    USERNAME_LOOKS_TAKEN,
    InvalidDisplayName,
    display_name_clean,
    username_alike,
)


class OwnerForm(UserCreationForm):
    """The first account: its owner's username and password."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)

    def clean_username(self) -> str:
        """Django's checks, and no name that looks like another account's (a Cyrillic
        "а" for a Latin "a", full-width letters, another case…), as for guests' names."""
        username = super().clean_username()
        if username and username_alike(username) is not None:
            raise forms.ValidationError(USERNAME_LOOKS_TAKEN.format(name=username))
        return username


class GuestNameForm(forms.Form):
    """A guest's new name; a valid one is claimed for ``guest_key`` (their identity key)."""

    name = forms.CharField(label=_("Display name"), max_length=DISPLAY_NAME_MAX_LENGTH * 2)

    def __init__(self, *args, guest_key: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.guest_key = guest_key

    def clean_name(self) -> str:
        try:
            return display_name_clean(self.cleaned_data["name"], claim_for=self.guest_key)
        except InvalidDisplayName as exc:
            raise forms.ValidationError(str(exc)) from None
