"""CHAT_REQUIRE_MFA: who must have a second factor (a TOTP app or a passkey) before
they use the chat. Pages send them to set one up; the API and the WebSocket refuse
them (``mfa_required``)."""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

MFA_REQUIRED = _("Set up a second factor (an authenticator app or a passkey) to use this chat.")
# What someone without a second factor may still open: setting one up, signing out, and
# the page scripts' words (/jsi18n/, which the set-up pages load).
OPEN_PATHS = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/static/",
    "/jsi18n/",
)


def mfa_covers(*, staff: bool) -> bool:
    """Whether CHAT_REQUIRE_MFA asks a second factor of this person (signed in)."""
    required = settings.CHAT_REQUIRE_MFA
    return required == "all" or (required == "staff" and staff)


def people_without_mfa(user_ids: set[int]) -> set[int]:
    """Those of ``user_ids`` with no second factor (one query)."""
    if not user_ids:
        return set()
    kinds = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    having = Authenticator.objects.filter(user_id__in=user_ids, type__in=kinds)
    return user_ids - set(having.values_list("user_id", flat=True))


class MfaRequired:
    """Sends people CHAT_REQUIRE_MFA covers to set up a second factor until they have one."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.CHAT_REQUIRE_MFA != "off"
            and user.is_authenticated
            and not getattr(request, "api_token", False)  # tokens are made in a session
            and mfa_covers(staff=user.is_staff or user.is_superuser)
            and not request.path.startswith(OPEN_PATHS)
            and people_without_mfa({user.pk})
        ):
            if request.path.startswith("/api/"):
                body = {"type": "error", "code": "mfa_required", "detail": MFA_REQUIRED}
                return JsonResponse(body, status=403)
            return redirect("mfa_index")
        return self.get_response(request)
