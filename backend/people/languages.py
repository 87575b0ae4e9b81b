"""Which language a person reads: their profile's, else their browser's (the language
switcher's cookie, else Accept-Language), else LANGUAGE_CODE.

Pages and the API: Django's LocaleMiddleware activates the browser's language, then
``ProfileLanguageMiddleware`` a signed-in person's own, and keeps what they pick in the
switcher on their profile. A chat connection keeps its handshake's two headers unread
(``HandshakeLanguage``) and works its language out only when it sends an error; the
server's refusal of a body too large (server.http), before any of Django runs, reads
the same two headers.
"""

from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http.cookie import parse_cookie
from django.urls import reverse
from django.utils import translation


def language_supported(code: str) -> str:
    """``code`` as one of LANGUAGES ("de-at" as "de"), or "" if it is none of them."""
    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return ""


def profile_language(user) -> str:
    """The language a signed-in person chose on their profile ("" for none, or for a
    visitor): one query for their profile at most, which pages read anyway."""
    if user is None or not user.is_authenticated:
        return ""
    try:
        language = user.profile.language
    except ObjectDoesNotExist:
        return ""
    return language_supported(language)


def text_in(text, language: str) -> str:
    """``text`` (a lazy translation, or plain text) as a string in ``language``."""
    with translation.override(language):
        return str(text)


class ProfileLanguageMiddleware:
    """After Django's authentication (and API tokens): a signed-in person's profile
    language wins over what LocaleMiddleware took from the browser. When they pick a
    language in the switcher (Django's ``set_language``), it is kept on their profile
    too, so their other browsers and their e-mail follow."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.set_language_path = None

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = profile_language(user)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if request.method == "POST" and user is not None and user.is_authenticated:
            if self.set_language_path is None:
                self.set_language_path = reverse("set_language")
            chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
            if request.path == self.set_language_path and chosen is not None:
                from people.profiles import profile_update  # it imports chat's models

                # One of ours (Django's switcher takes any language Django knows).
                if kept := language_supported(chosen.value):
                    profile_update(user, {"language": kept})
        return response


class HandshakeLanguage:
    """The language of a chat connection whose person chose none on their profile, from
    its handshake's language cookie and Accept-Language (``headers``: (name, value)
    pairs, names in lower case, as in an ASGI scope): the headers are only kept at the
    handshake (it gets no costlier), and read the first time an error is sent."""

    __slots__ = ("_accept", "_chosen", "_cookies")

    def __init__(self, headers) -> None:
        self._cookies: list[bytes] = []
        self._accept: bytes = b""
        self._chosen = ""
        for name, value in headers:
            if name == b"cookie":
                self._cookies.append(value)
            elif name == b"accept-language":
                self._accept = value

    def of(self, person_language: str = "") -> str:
        """The connection's language: ``person_language`` (their profile's) if any."""
        if person_language:
            return person_language
        if not self._chosen:
            cookies = parse_cookie(b"; ".join(self._cookies).decode("latin-1"))
            browser = SimpleNamespace(
                COOKIES=cookies, META={"HTTP_ACCEPT_LANGUAGE": self._accept.decode("latin-1")}
            )
            self._chosen = translation.get_language_from_request(browser)
            self._cookies, self._accept = [], b""
        return self._chosen


def language_switch(request) -> dict:
    """``switch_back_to``: where the language switcher returns, this very page with its
    query (a search's words, a welcome), less any ``next`` (a page that takes one keeps
    its own checks for it; the switcher never carries another site's address)."""
    query = request.GET.copy()
    query.pop("next", None)
    encoded = query.urlencode()
    return {"switch_back_to": request.path + (f"?{encoded}" if encoded else "")}
