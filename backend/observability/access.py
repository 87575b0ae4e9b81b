"""Who may read ``/readyz`` and ``/metrics``: everyone, unless the settings say otherwise.

``CHAT_OPS_TOKEN`` admits requests carrying ``Authorization: Bearer <token>``;
``CHAT_OPS_ALLOWED_NETWORKS`` admits client addresses in those networks. With
either set, any other request is refused with 403.
"""

import hmac
import ipaddress

from django.conf import settings
from django.http import JsonResponse


def _from_allowed_network(request) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    return any(address in network for network in settings.CHAT_OPS_ALLOWED_NETWORKS)


def _has_token(request) -> bool:
    token = settings.CHAT_OPS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def refusal(request) -> JsonResponse | None:
    """None when ``request`` may read the ops endpoints, else the 403 to answer with."""
    if not settings.CHAT_OPS_TOKEN and not settings.CHAT_OPS_ALLOWED_NETWORKS:
        return None
    if _from_allowed_network(request) or _has_token(request):
        return None
    return JsonResponse(
        {
            "status": "forbidden",
            "error": "needs Authorization: Bearer with the ops token, or an allowed address",
        },
        status=403,
    )
