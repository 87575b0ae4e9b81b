"""When a connection may act: flood control, and the order hold after a refusal.

Each post takes a token from the connection's bucket and from its person's
(shared by their tabs in this process), or from neither. A post refused for
going too fast is re-sent by the page; until it is (or ``HOLD_ORDER_FOR``
passes), later posts are refused too, so a retrying client keeps its order.
Every other action counts too: a ``delete`` or ``mute`` takes a token from
the connection's bucket, a ``typing`` notice is news at most once a second,
and a ``resume`` waits for the connection's replay allowance
(``resume_wait``). A connection that keeps acting into refusals is told to
close, once.
"""

import time
from collections import deque
from collections.abc import Callable

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chat.ratelimit import TokenBucket, take_from_all
from chat.services import ActionRefused

# How long a refused message keeps its place at the head of the line.
HOLD_ORDER_FOR = 30.0
# Refusals are counted over this many seconds to spot a flooding connection.
ABUSE_WINDOW = 10.0
TYPING_MIN_INTERVAL = 1.0
# Replays a connection may ask for at once, and then one per this many seconds.
RESUME_BURST = 3
RESUME_INTERVAL = 1.0
# Messages a connection's replays may send a second, after a first CHAT_REPLAY_MAX: a
# resume after more than that waits its turn.
REPLAYED_PER_SECOND = 100.0


class PostGate:
    __slots__ = ("bucket", "person_bucket", "clock", "abuse_limit", "held_for", "refusals",
                 "last_typing", "resumes", "replays", "closing")  # fmt: skip

    def __init__(
        self,
        bucket: TokenBucket,
        person_bucket: TokenBucket,
        *,
        abuse_limit: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``abuse_limit``: refusals within ABUSE_WINDOW after which ``flooding`` is true."""
        self.bucket = bucket
        self.person_bucket = person_bucket
        self.clock = clock
        self.abuse_limit = abuse_limit
        self.held_for: tuple[str, float] | None = None  # (nonce, until) of a refused post
        self.refusals: deque[float] | None = None  # made on the first refusal
        self.last_typing: float | None = None
        self.resumes = TokenBucket(1 / RESUME_INTERVAL, RESUME_BURST, clock=clock)
        self.replays: TokenBucket | None = None  # messages replayed: made on the first
        self.closing = False  # told to close for flooding; later frames are dropped

    def wait_for(self, nonce: str | None) -> float:
        """0.0 when a post with this nonce may go now (its tokens are taken); else the
        seconds to wait before sending it again."""
        self.last_typing = None  # a message ends the typing; the next keystroke is news
        now = self.clock()
        held_for = self.held_for
        if held_for and held_for[0] != nonce and now < held_for[1]:
            return self._refused(max(0.05, self.bucket.take_time()), now)
        wait = take_from_all(self.bucket, self.person_bucket)
        if wait > 0:
            if nonce and not held_for:
                self.held_for = (nonce, now + HOLD_ORDER_FOR)
            return self._refused(wait, now)
        self.held_for = None
        return 0.0

    def refusal(self, nonce: str | None) -> ActionRefused | None:
        """None when a post with this nonce may go now (its tokens are taken); else
        the ``rate_limited`` refusal saying how long to wait before sending it again."""
        wait = self.wait_for(nonce)
        if not wait:
            return None
        detail = format_lazy(
            _("You are sending too fast; wait {seconds} s."), seconds=f"{wait:.1f}"
        )
        return ActionRefused("rate_limited", detail, retry_after=round(wait, 2))

    def action_refusal(self) -> ActionRefused | None:
        """None when a ``delete`` or ``mute`` may go now (a token of the connection's
        is taken); else the ``rate_limited`` refusal."""
        now = self.clock()
        wait = self.bucket.take()
        if not wait:
            return None
        self._refused(wait, now)
        return ActionRefused(
            "rate_limited",
            format_lazy(_("You are acting too fast; wait {seconds} s."), seconds=f"{wait:.1f}"),
            retry_after=round(wait, 2),
        )

    def resume_wait(self) -> float:
        """Seconds a ``resume`` waits before its replay is sent (0.0: now); it is never
        refused, only slowed down."""
        wait = self.resumes.take()
        if wait:
            self.resumes.tokens -= 1  # its token, taken ahead: the next one waits longer
        if self.replays is not None:
            wait = max(wait, self.replays.take_time())
        return wait

    def replayed(self, count: int, allowance: int) -> None:
        """A resume sent ``count`` messages, out of the connection's ``allowance``
        (CHAT_REPLAY_MAX) refilled at REPLAYED_PER_SECOND."""
        if self.replays is None:
            self.replays = TokenBucket(REPLAYED_PER_SECOND, allowance, clock=self.clock)
        self.replays.spend(count)

    @property
    def flooding(self) -> bool:
        """The connection kept acting into refusals: it should be closed."""
        return self.refusals is not None and len(self.refusals) > self.abuse_limit

    def close_now(self) -> bool:
        """True the first time the connection is found flooding (then ``closing`` is set):
        it is closed, and logged, once."""
        if self.closing or not self.flooding:
            return False
        self.closing = True
        return True

    def typing_due(self) -> bool:
        """Whether a typing notice is news (at most one a second, and after a post); one
        that isn't counts as a refusal."""
        now = self.clock()
        if self.last_typing is not None and now - self.last_typing < TYPING_MIN_INTERVAL:
            self._refused(TYPING_MIN_INTERVAL, now)
            return False
        self.last_typing = now
        return True

    def _refused(self, wait: float, now: float) -> float:
        if self.refusals is None:
            self.refusals = deque()
        self.refusals.append(now)
        while self.refusals and self.refusals[0] < now - ABUSE_WINDOW:
            self.refusals.popleft()
        return wait
