"""Who calls the API: the session cookie, as on the pages.

Both classes are django-ninja cookie authentications, so ninja checks Django's
CSRF token on every unsafe request they guard.
"""

from django.conf import settings
from ninja.security import APIKeyCookie

from api.errors import ApiError


class SignedIn(APIKeyCookie):
    """A signed-up person; visitors and guests are answered 401 ``sign_in_required``."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        if request.user.is_authenticated:
            return request.user
        raise ApiError(401, "sign_in_required", "Sign in to do this.")


signed_in = SignedIn()


class AnySession(APIKeyCookie):
    """Anyone, guests and visitors included (the endpoint tells them apart); still a
    cookie authentication, so unsafe requests need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request, key):
        return request.user  # AnonymousUser for guests and visitors: still truthy


any_session = AnySession()
