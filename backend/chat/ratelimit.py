"""Flood control: token buckets, and caps on open connections.

Both are kept per server process: a person whose tabs are spread over several
processes gets a bucket in each.
"""

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field


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
