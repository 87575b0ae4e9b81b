"""The Web Push endpoints of the API (docs/api.md, "Web Push")."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status

from api.auth import signed_in
from api.errors import ApiError, ErrorOut
from notifications.endpoints import host_refusal
from notifications.keys import PUBLIC_KEY_BYTES, b64url_decode
from notifications.models import PushSubscription

router = Router(tags=["push"])

AUTH_SECRET_BYTES = 16
ENDPOINT_MAX_LENGTH = PushSubscription._meta.get_field("endpoint").max_length


class PublicKeyOut(Schema):
    public_key: str


class SubscriptionKeysIn(Schema):
    p256dh: str | None = None
    auth: str | None = None


class SubscriptionIn(Schema):
    """The browser's ``PushSubscription.toJSON()`` (``expirationTime`` is ignored)."""

    endpoint: str | None = None
    keys: SubscriptionKeysIn | None = None


class EndpointIn(Schema):
    endpoint: str | None = None


class SubscriptionOut(Schema):
    endpoint: str


def _invalid(detail: str) -> ApiError:
    return ApiError(400, "invalid_subscription", detail)


def endpoint_checked(*, endpoint: str | None) -> str:
    """The endpoint if push may be sent there (an https:// URL whose host is not
    this machine or a private address), else 400. ``CHAT_PUSH_ALLOW_HTTP_ENDPOINTS``
    (tests and development only) allows http:// and local hosts."""
    endpoint = (endpoint or "").strip()
    if not endpoint:
        raise _invalid(_("The subscription has no endpoint."))
    if len(endpoint) > ENDPOINT_MAX_LENGTH:
        raise _invalid(
            _("The endpoint is longer than {max} characters.").format(max=ENDPOINT_MAX_LENGTH)
        )
    schemes = ["https", "http"] if settings.CHAT_PUSH_ALLOW_HTTP_ENDPOINTS else ["https"]
    if endpoint.lower().startswith("http://") and "http" not in schemes:
        raise _invalid(
            _("The endpoint must be an https:// URL; push services are reached over TLS.")
        )
    try:
        URLValidator(schemes=schemes)(endpoint)
    except ValidationError:
        raise _invalid(_("The endpoint is not an https:// URL.")) from None
    if not settings.CHAT_PUSH_ALLOW_HTTP_ENDPOINTS:
        refusal = host_refusal(urlsplit(endpoint).hostname or "")
        if refusal:
            raise _invalid(refusal)
    return endpoint


def subscription_keys_checked(*, keys: SubscriptionKeysIn | None) -> tuple[str, str]:
    """(p256dh, auth) if they are a P-256 point and a 16-byte secret, base64url; else 400."""
    if keys is None or not keys.p256dh or not keys.auth:
        raise _invalid(_("The subscription needs keys.p256dh and keys.auth."))
    try:
        point = b64url_decode(keys.p256dh)
    except ValueError:
        point = b""
    if len(point) != PUBLIC_KEY_BYTES or point[0] != 0x04:
        raise _invalid(_("keys.p256dh is not a P-256 public key (65 bytes, base64url)."))
    try:
        secret = b64url_decode(keys.auth)
    except ValueError:
        secret = b""
    if len(secret) != AUTH_SECRET_BYTES:
        raise _invalid(_("keys.auth is not a 16-byte secret (base64url)."))
    return keys.p256dh.strip(), keys.auth.strip()


@router.get("/key/", response=PublicKeyOut | None, summary="The VAPID public key, or null")
def push_key(request):
    """The key to pass to ``pushManager.subscribe`` as ``applicationServerKey``;
    null when the server has no VAPID keys (push is off)."""
    if not settings.CHAT_VAPID_PUBLIC_KEY:
        return None
    return {"public_key": settings.CHAT_VAPID_PUBLIC_KEY}


@router.post(
    "/subscriptions/",
    auth=signed_in,
    response={200: SubscriptionOut, 201: SubscriptionOut, 400: ErrorOut, 401: ErrorOut},
    summary="Send my pushes to this browser",
)
def subscription_add(request, body: SubscriptionIn):
    """201 for a new endpoint; 200 for a known one, which now belongs to the
    requester with the keys given. Beyond ``CHAT_PUSH_SUBSCRIPTIONS_MAX`` browsers,
    the requester's longest-unrenewed subscriptions are dropped."""
    endpoint = endpoint_checked(endpoint=body.endpoint)
    p256dh, auth = subscription_keys_checked(keys=body.keys)
    with transaction.atomic():
        # The page sends its subscription at each visit, so ``created`` is when
        # the browser last subscribed: the oldest is the one unused the longest.
        _, created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={
                "user": request.auth,
                "p256dh": p256dh,
                "auth": auth,
                "last_error": "",
                "created": timezone.now(),
            },
        )
        subscriptions_trimmed(user=request.auth)
    return Status(201 if created else 200, {"endpoint": endpoint})


def subscriptions_trimmed(*, user) -> None:
    """Delete ``user``'s oldest subscriptions beyond ``CHAT_PUSH_SUBSCRIPTIONS_MAX``."""
    mine = PushSubscription.objects.filter(user=user)
    newest = mine.order_by("-created", "-id").values_list("id", flat=True)
    mine.exclude(id__in=list(newest[: settings.CHAT_PUSH_SUBSCRIPTIONS_MAX])).delete()


@router.delete(
    "/subscriptions/",
    auth=signed_in,
    response={204: None, 401: ErrorOut},
    summary="Stop sending pushes to this browser",
)
def subscription_remove(request, body: EndpointIn):
    """204 whether or not the requester had that endpoint; another person's is left alone."""
    PushSubscription.objects.filter(
        user=request.auth, endpoint=(body.endpoint or "").strip()
    ).delete()
    return Status(204, None)
