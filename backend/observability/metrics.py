"""The chat's Prometheus metrics.

With several worker processes, ``PROMETHEUS_MULTIPROC_DIR`` must name an empty
folder shared by them (``invoke serve`` sets it up); ``/metrics`` then sums
their values.
"""

from prometheus_client import Counter, Gauge

CONNECTIONS_OPEN = Gauge(
    "chat_connections_open", "Open chat WebSocket connections.", multiprocess_mode="livesum"
)
MESSAGES_POSTED = Counter("chat_messages_posted", "Messages stored and broadcast.")
MESSAGES_DELIVERED = Counter(
    "chat_messages_delivered", "Message frames sent to connections (live, history and replays)."
)
RATE_LIMITED = Counter("chat_rate_limited", "Messages refused by flood control.")
RESUMES = Counter("chat_resumes", "Replays asked for with ?after= or a resume frame.")
REPLAYED = Counter("chat_replayed_messages", "Messages sent by replays.")
ERRORS = Counter("chat_errors", "Error frames sent, by code.", ["code"])
REDIS_ROUNDTRIP = Gauge(
    "chat_redis_roundtrip_seconds",
    "Latest round trip to Redis measured by a server process.",
    multiprocess_mode="max",
)
