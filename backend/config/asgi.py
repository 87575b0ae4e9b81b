"""ASGI entry point: HTTP goes to Django, WebSockets to the chat consumers.

WebSocket handshakes are checked against ``ALLOWED_HOSTS`` (a cross-origin
handshake is refused with HTTP 403). The chat consumer reads the session and
user from the handshake's cookie itself (chat.identity.identity_of_handshake).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Load Django (apps, models) before importing anything that uses it.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
