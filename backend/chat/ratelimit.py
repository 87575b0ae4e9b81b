"""Flood control: token buckets, and caps on open connections.

Both are kept per server process: a person whose tabs are spread over several
processes gets a bucket in each.
"""

import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext, gettext_noop


@dataclass(slots=True)
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; ``rate <= 0`` never limits."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = self.burst
        self.updated = self.clock()

    def take_time(self) -> float:
        """Seconds until a token is available, without taking one."""
        if self.rate <= 0:
            return 0.0
        tokens = min(self.burst, self.tokens + (self.clock() - self.updated) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def full(self) -> bool:
        """Whether the bucket has refilled to its burst (so forgetting it changes nothing)."""
        return (
            self.rate <= 0 or self.tokens + (self.clock() - self.updated) * self.rate >= self.burst
        )

    def spend(self, count: float) -> None:
        """Take ``count`` tokens whatever is left: the bucket may owe some, and then
        ``take_time`` says when it is back to one."""
        if self.rate <= 0:
            return
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate) - count
        self.updated = now

    def take(self) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


# With limiting off (rate <= 0) a bucket keeps no state, so all share this one.
UNLIMITED = TokenBucket(0, 0)


def bucket_new(rate: float, burst: float) -> TokenBucket:
    return TokenBucket(rate, burst) if rate > 0 else UNLIMITED


def take_from_all(*buckets: TokenBucket) -> float:
    """Take a token from every bucket, or from none: 0.0 when allowed, else the wait."""
    wait = max(bucket.take_time() for bucket in buckets)
    if wait > 0:
        return wait
    for bucket in buckets:
        bucket.take()
    return 0.0


class SharedBuckets:
    """One bucket per key (a person), alive while that key has connections here."""

    def __init__(self) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._users: Counter[str] = Counter()

    def acquire(self, key: str, rate: float, burst: float) -> TokenBucket:
        if rate <= 0:
            return UNLIMITED
        self._users[key] += 1
        if key not in self._buckets:
            self._buckets[key] = TokenBucket(rate, burst)
        return self._buckets[key]

    def release(self, key: str) -> None:
        if key not in self._users:
            return  # it was acquired while limiting was off
        self._users[key] -= 1
        if self._users[key] <= 0:
            del self._users[key]
            self._buckets.pop(key, None)


class RequestBuckets:
    """One bucket per key (a person, a webhook) for requests that come and go, such as
    posts over HTTP. Buckets back at full hold nothing worth keeping: past ``keep``
    buckets, those are forgotten, so memory stays bounded by the keys posting now."""

    def __init__(self, keep: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self.keep = keep
        self.clock = clock

    def take(self, key: str, rate: float, burst: float) -> float:
        """Take a token from ``key``'s bucket: 0.0 when allowed, else the wait."""
        if rate <= 0:
            return 0.0
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.keep:
                self._forget_full()
            bucket = self._buckets[key] = TokenBucket(rate, burst, self.clock)
        return bucket.take()

    def clear(self) -> None:
        self._buckets.clear()

    def _forget_full(self) -> None:
        for key, bucket in list(self._buckets.items()):
            if bucket.full():
                del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


class ConnectionCounter:
    """Open connections per key (a person, an IP address) in this process."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def try_open(self, key: str, limit: int) -> bool:
        if limit > 0 and self.counts[key] >= limit:
            return False
        self.counts[key] += 1
        return True

    def close(self, key: str) -> None:
        self.counts[key] -= 1
        if self.counts[key] <= 0:
            del self.counts[key]


person_buckets = SharedBuckets()
http_post_buckets = RequestBuckets()  # people posting over HTTP, and webhooks
connections_per_person = ConnectionCounter()
connections_per_ip = ConnectionCounter()


# --- requests that cost the server or other people something ------------------------


@dataclass(frozen=True, slots=True)
class Throttle:
    """At most ``per_minute`` requests a minute (``burst`` at once) of ``methods`` to
    paths matching ``path``, per person (signed in, or a guest's session) or, with
    ``by_address`` or for anyone else, per address; ``new_visitors_only``: only
    requests without a session (one that would make one). ``name`` (English, the key of
    its buckets) is translated where a refusal shows it."""

    name: str
    methods: frozenset[str]
    path: re.Pattern[str]
    per_minute: float
    burst: int
    by_address: bool = False
    new_visitors_only: bool = False


def _throttle(name, methods, path, per_minute, burst, **flags) -> Throttle:
    return Throttle(name, frozenset(methods.split()), re.compile(path), per_minute, burst, **flags)


THROTTLES = (
    # Each failed login costs a password hash whatever the username (and a lockout by
    # django-axes concerns one username at one address only).
    _throttle(gettext_noop("log in"), "POST", r"/(accounts|admin)/login/", 20, 10, by_address=True),
    _throttle(gettext_noop("sign up"), "POST", r"/accounts/signup/|/setup/", 5, 5, by_address=True),
    # Each asks for an e-mail; a guessed invitation, second factor or code is refused.
    _throttle(
        gettext_noop("password reset"), "POST", r"/accounts/password/reset/", 5, 5, by_address=True
    ),
    _throttle(gettext_noop("invitation links"), "GET", r"/join/[^/]+/", 20, 10, by_address=True),
    _throttle(gettext_noop("second factor"), "POST", r"/accounts/2fa/.*", 20, 10, by_address=True),
    _throttle(gettext_noop("org invitations"), "POST", r"/api/invitations/|/people/", 20, 10),
    _throttle(
        gettext_noop("guest"), "GET POST", r"/accounts/guest/", 30, 30, new_visitors_only=True
    ),
    _throttle(gettext_noop("rename"), "POST", r"/accounts/name/", 10, 5),
    _throttle(gettext_noop("tokens"), "POST", r"/accounts/tokens/|/api/tokens/", 10, 5),
    _throttle(gettext_noop("rooms"), "POST", r"/api/rooms/|/api/dms/", 20, 10),
    _throttle(gettext_noop("members"), "POST", r"/api/rooms/[^/]+/members/", 30, 15),
    _throttle(gettext_noop("invitations"), "POST", r"/api/rooms/[^/]+/invitations/", 20, 10),
    _throttle(gettext_noop("webhooks"), "POST", r"/api/rooms/[^/]+/webhooks/", 10, 5),
    _throttle(gettext_noop("search"), "GET", r"/search/|/api/search/", 30, 10),
)


class RequestThrottles:
    """Answers a request over its throttle 429, with ``Retry-After`` (the API's error
    shape on /api/, with ``retry_after``), counted in this process. Goes after the
    middleware that signs people in. ``CHAT_THROTTLE_SCALE`` multiplies every rate
    (0: no throttling)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        throttle = self._throttle_of(request)
        if throttle is not None:
            wait = self._wait(request, throttle)
            if wait:
                return _too_many(request, throttle, wait)
        return self.get_response(request)

    @staticmethod
    def _throttle_of(request) -> Throttle | None:
        if settings.CHAT_THROTTLE_SCALE <= 0:
            return None
        for throttle in THROTTLES:
            if request.method in throttle.methods and throttle.path.fullmatch(request.path):
                if throttle.new_visitors_only and settings.SESSION_COOKIE_NAME in request.COOKIES:
                    return None
                return throttle
        return None

    def _wait(self, request, throttle: Throttle) -> float:
        scale = settings.CHAT_THROTTLE_SCALE
        user = getattr(request, "user", None)
        if not throttle.by_address and user is not None and user.is_authenticated:
            who = f"user:{user.pk}"
        else:
            who = f"address:{request.META.get('REMOTE_ADDR', '')}"
        return throttle_buckets.take(
            f"{throttle.name}:{who}", throttle.per_minute * scale / 60, throttle.burst * scale
        )


throttle_buckets = RequestBuckets()  # this process's, whichever handler serves the request


def _too_many(request, throttle: Throttle, wait: float):
    seconds = max(1, math.ceil(wait))
    detail = gettext("Too many requests ({name}); try again in {seconds} s.").format(
        name=gettext(throttle.name), seconds=seconds
    )
    if request.path.startswith("/api/"):
        body = {"type": "error", "code": "rate_limited", "detail": detail, "retry_after": seconds}
        response = JsonResponse(body, status=429)
    else:
        response = HttpResponse(detail, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(seconds)
    return response
