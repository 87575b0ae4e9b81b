"""Who calls the API: an API token (``Authorization: Bearer``), or the session cookie,
as on the pages.

integrations.middleware has already signed in a request that carries a token (or
answered 401). The cookie authentications are django-ninja's, so ninja checks
Django's CSRF token on every unsafe request they guard; a token needs none, as
no browser sends it on its own.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from ninja.security import APIKeyCookie, HttpBearer

from api.errors import ApiError


class Token(HttpBearer):
    """An API token, checked by integrations.middleware before the endpoint runs."""

    def authenticate(self, request, token):
        return request.user if getattr(request, "api_token", False) else None


class SignedInCookie(APIKeyCookie):
    """A signed-up person; visitors and guests are answered 401 ``sign_in_required``."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        if request.user.is_authenticated:
            return request.user
        raise ApiError(401, "sign_in_required", _("Sign in to do this."))


class SessionOnly(SignedInCookie):
    """A signed-up person in a browser session, never an API token: what makes and
    revokes tokens. A token that could make tokens would outlive its own revocation
    through the ones it made."""

    def authenticate(self, request, key):
        if getattr(request, "api_token", False):
            raise ApiError(
                403, "session_required",
                _("API tokens are managed from a signed-in browser session, not with a token."),
            )  # fmt: skip
        return super().authenticate(request, key)


class AnySessionCookie(APIKeyCookie):
    """Anyone, guests and visitors included (the endpoint tells them apart); still a
    cookie authentication, so unsafe requests need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        return request.user  # AnonymousUser for guests and visitors: still truthy


token = Token()
# ninja tries each in turn: the token first, so a request with one needs no CSRF token.
signed_in = [token, SignedInCookie()]
any_session = [token, AnySessionCookie()]
session_only = SessionOnly()
