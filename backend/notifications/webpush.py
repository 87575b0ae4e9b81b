"""Sending Web Push notifications to people's browsers.

The chat calls ``detach(push_send(user_ids=..., payload=...))`` for mentions and
direct messages; sending never raises, and a push service's "gone" answer
(404 or 410) removes that subscription.

Requests to push services go through one pool of threads per process, so at most
``SENDING_AT_ONCE`` are under way however many messages are being pushed; the
others wait their turn without tying up the event loop's default executor (DNS,
the database adapters). Before each request the endpoint's host is resolved and a
local or private address is refused, as is a connection that reaches one and a
redirect (notifications/endpoints.py).
"""

import asyncio
import functools
import json
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from notifications.endpoints import EndpointRefused, checked_session, resolved_refusal
from notifications.models import PushSubscription

logger = logging.getLogger(__name__)

SENDING_AT_ONCE = 8
TIMEOUT_SECONDS = 10
TTL_SECONDS = 3600
# Push services take at most 4096 bytes; aes128gcm adds 86 bytes of header,
# a 16-byte tag and a padding byte.
PAYLOAD_MAX_BYTES = 3900
ERROR_MAX_LENGTH = 500

_sending_threads: ThreadPoolExecutor | None = None
_sending_threads_lock = threading.Lock()


@dataclass(frozen=True)
class _Target:
    id: int
    endpoint: str
    p256dh: str
    auth: str
    had_error: bool


def push_enabled() -> bool:
    """Whether the server has VAPID keys, so it can send pushes."""
    return bool(settings.CHAT_VAPID_PUBLIC_KEY and settings.CHAT_VAPID_PRIVATE_KEY)


async def push_send(*, user_ids: Iterable[int], payload: dict) -> int:
    """Send ``payload`` (JSON) to every push subscription of these people.

    Returns how many pushes the push services accepted; 0 when push is off.
    Never raises: failures are logged and kept in the subscription's ``last_error``.
    """
    try:
        if not push_enabled():
            return 0
        targets = await _targets_load(user_ids=set(user_ids))
        if not targets:
            return 0
        send = functools.partial(
            _send,
            data=payload_encode(payload=payload),
            vapid=_vapid(settings.CHAT_VAPID_PRIVATE_KEY),
            subject=settings.CHAT_VAPID_SUBJECT,
            allow_local=settings.CHAT_PUSH_ALLOW_HTTP_ENDPOINTS,
        )
        accepted = await asyncio.gather(*(_push_one(target=t, send=send) for t in targets))
        return sum(accepted)
    except Exception as exc:  # never break the chat for a notification
        logger.error("Web Push sending failed: %s: %s", type(exc).__name__, exc)
        return 0


def payload_encode(*, payload: dict) -> str:
    """``payload`` as JSON, its ``body`` shortened if the whole would be too big to push."""
    data = _json(payload)
    body = payload.get("body")
    while len(data.encode()) > PAYLOAD_MAX_BYTES and isinstance(body, str) and body:
        excess = len(data.encode()) - PAYLOAD_MAX_BYTES
        body = body[: max(0, len(body) - excess - 1)]
        data = _json({**payload, "body": body + "…"})
    return data


def _json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@functools.cache
def _vapid(private_key: str) -> Vapid:
    return Vapid.from_raw(private_key.encode())


@database_sync_to_async
def _targets_load(*, user_ids: set[int]) -> list[_Target]:
    if not user_ids:
        return []
    return [
        _Target(id=pk, endpoint=endpoint, p256dh=p256dh, auth=auth, had_error=bool(last_error))
        for pk, endpoint, p256dh, auth, last_error in PushSubscription.objects.filter(
            user_id__in=user_ids
        ).values_list("id", "endpoint", "p256dh", "auth", "last_error")
    ]


def _sending_pool() -> ThreadPoolExecutor:
    """The process's threads for requests to push services, made on first use."""
    global _sending_threads
    with _sending_threads_lock:
        if _sending_threads is None:
            _sending_threads = ThreadPoolExecutor(
                max_workers=SENDING_AT_ONCE, thread_name_prefix="webpush"
            )
        return _sending_threads


def _send(target: _Target, *, data: str, vapid: Vapid, subject: str, allow_local: bool) -> None:
    """Send one push, blocking (in a sending thread); raises what went wrong."""
    if not allow_local:
        endpoint = urlsplit(target.endpoint)
        port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
        refusal = resolved_refusal(endpoint.hostname or "", port)
        if refusal:
            raise EndpointRefused(refusal)
    with checked_session(check_addresses=not allow_local) as session:
        webpush(
            subscription_info={
                "endpoint": target.endpoint,
                "keys": {"p256dh": target.p256dh, "auth": target.auth},
            },
            data=data,
            vapid_private_key=vapid,
            vapid_claims={"sub": subject},
            content_encoding="aes128gcm",
            timeout=TIMEOUT_SECONDS,
            ttl=TTL_SECONDS,
            requests_session=session,
        )


async def _push_one(*, target: _Target, send: Callable[[_Target], None]) -> bool:
    """Send one push with ``send`` in the sending threads; True if accepted.
    Deals with the answer and never raises."""
    try:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(_sending_pool(), send, target)
    except EndpointRefused as exc:  # kept: the name may point elsewhere later
        await _failure_record(target=target, reason=str(exc))
        return False
    except WebPushException as exc:
        status = exc.status_code
        if status in (404, 410):
            logger.info("Web Push subscription at %s is gone (%s): removed", _host(target), status)
            await _db_safely(_subscription_delete(subscription_id=target.id))
            return False
        if status is None or not 200 <= status < 300:
            reason = f"{status} {exc.response.reason}" if status is not None else exc.message
            await _failure_record(target=target, reason=str(reason))
            return False
        # pywebpush refuses 2xx answers above 202: they are acceptances all the same.
    except Exception as exc:  # timeouts, refused connections, bad stored keys...
        await _failure_record(target=target, reason=f"{type(exc).__name__}: {exc}")
        return False
    if target.had_error:
        await _db_safely(_error_clear(subscription_id=target.id))
    return True


async def _failure_record(*, target: _Target, reason: str) -> None:
    reason = " ".join(reason.split())[:ERROR_MAX_LENGTH]
    logger.warning("Web Push to %s failed: %s", _host(target), reason)
    await _db_safely(_error_store(subscription_id=target.id, reason=reason))


async def _db_safely(work) -> None:
    """Await a bookkeeping write; a failure is logged, not raised."""
    try:
        await work
    except Exception as exc:
        logger.error("Web Push bookkeeping failed: %s: %s", type(exc).__name__, exc)


def _host(target: _Target) -> str:
    # The endpoint's path is a bearer capability: only its host goes to the logs.
    return urlsplit(target.endpoint).netloc


@database_sync_to_async
def _subscription_delete(*, subscription_id: int) -> None:
    PushSubscription.objects.filter(id=subscription_id).delete()


@database_sync_to_async
def _error_store(*, subscription_id: int, reason: str) -> None:
    PushSubscription.objects.filter(id=subscription_id).update(last_error=reason)


@database_sync_to_async
def _error_clear(*, subscription_id: int) -> None:
    PushSubscription.objects.filter(id=subscription_id).update(last_error="")
