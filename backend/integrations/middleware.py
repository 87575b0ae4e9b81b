"""Signs in a JSON API request that carries an API token (``Authorization: Bearer``)."""

from django.http import JsonResponse

from chat.protocol.events import error_event
from integrations.bearer import authorization_token
from integrations.tokens import InvalidToken, token_user

# Where the JSON API is served (config.urls).
API_PATH = "/api/"


class BearerTokenMiddleware:
    """On the API, a request with an ``Authorization`` header is its token's user, or is
    answered 401 ``invalid_token``: never a silent fall back to the session or a guest.
    Goes after Django's AuthenticationMiddleware, whose user it replaces."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is not None and request.path.startswith(API_PATH):
            try:
                user = token_user(authorization_token(header))
            except InvalidToken as exc:
                response = JsonResponse(error_event("invalid_token", str(exc)), status=401)
                response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
                return response
            request.user = user
            request.auser = _returning(user)
            request.api_token = True  # api.auth lets it through without a CSRF token
        return self.get_response(request)


def _returning(user):
    async def auser():
        return user

    return auser
