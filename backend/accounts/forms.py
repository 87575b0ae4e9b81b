from django import forms
from django.contrib.auth.forms import UserCreationForm

from chat.identity import DISPLAY_NAME_MAX_LENGTH, InvalidDisplayName, display_name_clean


class SignUpForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = ("username",)


class GuestNameForm(forms.Form):
    name = forms.CharField(label="Display name", max_length=DISPLAY_NAME_MAX_LENGTH * 2)

    def clean_name(self) -> str:
        try:
            return display_name_clean(self.cleaned_data["name"])
        except InvalidDisplayName as exc:
            raise forms.ValidationError(str(exc)) from None
