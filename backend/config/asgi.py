"""ASGI entry point: HTTP goes to Django, WebSockets to the chat consumers.

A WebSocket handshake is admitted only from the chat's own pages: its
``Origin`` (scheme, host and port) must be the origin the handshake was sent to
(its ``Host``, which must be in ``ALLOWED_HOSTS``) or one of
``CSRF_TRUSTED_ORIGINS``. Any other handshake, or one without an ``Origin``, is
refused with HTTP 403, unless it signs in with an API token (integrations.bearer):
a token is no ambient credential a foreign page could borrow, so programs
without an ``Origin`` can connect. The chat consumer reads the session and user from the
handshake's cookie itself (chat.identity.identity_of_session).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Load Django (apps, models) before importing anything that uses it.
django_asgi_app = get_asgi_application()

from urllib.parse import urlsplit  # noqa: E402

from channels.security.websocket import WebsocketDenier  # noqa: E402
from django.conf import settings  # noqa: E402
from django.http.request import split_domain_port, validate_host  # noqa: E402

from chat.routing import websocket_consumer  # noqa: E402
from integrations.bearer import handshake_has_token  # noqa: E402

_DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def parse_origin(value: str) -> Origin | None:
    """``(scheme, host, port)`` of an ``http(s)`` origin, or None if it isn't one."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme]


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _own_origin(scope) -> Origin | None:
    """The origin the handshake was sent to, if its ``Host`` is one this site serves."""
    host = _header(scope, b"host")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    secure = scope.get("scheme") in ("wss", "https")
    if not secure and settings.CHAT_TRUST_PROXY_HEADERS:
        forwarded = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
        secure = forwarded in ("https", "wss")
    return parse_origin(f"{'https' if secure else 'http'}://{host}")


def _trusted(origin: Origin) -> bool:
    scheme, host, port = origin
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        trusted = parse_origin(entry.replace("://*.", "://", 1))
        if trusted is None or (trusted[0], trusted[2]) != (scheme, port):
            continue
        if host == trusted[1] or ("://*." in entry and host.endswith("." + trusted[1])):
            return True
    return False


def origin_allowed(scope) -> bool:
    origin = parse_origin(_header(scope, b"origin"))
    if origin is None:
        return False
    return origin == _own_origin(scope) or _trusted(origin)


async def application(scope, receive, send):
    """HTTP to Django; a WebSocket handshake refused (HTTP 403) if it comes from another
    origin, port included, unless it carries an API token (checked by the consumer, which
    ignores the session's cookie then), else to the consumer its path names.

    One coroutine and no copy of the scope between the server and the consumer: an
    idle connection holds them for hours."""
    if scope["type"] != "websocket":
        return await django_asgi_app(scope, receive, send)
    if not origin_allowed(scope) and not handshake_has_token(scope):
        return await WebsocketDenier()(scope, receive, send)
    return await websocket_consumer(scope)()(scope, receive, send)
