"""Client-side rate limiting for the Mava API (90 requests per 30 s per key).

`WindowScheduler` is the pure decision logic: who may send, and when to look again.
It takes the time as an argument, so it can be proven with a fake clock.
`RateLimiter` drives it on the asyncio loop. Requests made for a Slack user who is
waiting (`INTERACTIVE`) go ahead of queued background work (`BACKGROUND`, the poller).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator
from enum import IntEnum


class Lane(IntEnum):
    """Queue lanes; a lower value is served first."""

    INTERACTIVE = 0
    BACKGROUND = 1


# Which lane the current task's Mava calls use. Slack handlers run with the default;
# the scheduler's jobs wrap themselves in `background()`.
current_lane: contextvars.ContextVar[Lane] = contextvars.ContextVar(
    "mava_lane", default=Lane.INTERACTIVE
)


@contextlib.contextmanager
def background() -> Iterator[None]:
    token = current_lane.set(Lane.BACKGROUND)
    try:
        yield
    finally:
        current_lane.reset(token)


class WindowScheduler:
    """Grants sends so that no `window`-second span ever holds more than `limit`."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._sent: deque[float] = deque()  # grant times still inside the window
        self._queue: list[tuple[int, int]] = []  # (lane, ticket) heap
        self._cancelled: set[int] = set()
        self._tickets = itertools.count()
        self._paused_until = float("-inf")

    def enqueue(self, lane: Lane) -> int:
        ticket = next(self._tickets)
        heapq.heappush(self._queue, (int(lane), ticket))
        return ticket

    def cancel(self, ticket: int) -> None:
        self._cancelled.add(ticket)

    def pause_until(self, when: float) -> None:
        """Hold every send until `when` (Mava said 429: another process shares the key)."""
        self._paused_until = max(self._paused_until, when)

    @property
    def waiting(self) -> int:
        return len(self._queue) - len(self._cancelled)

    def poll(self, now: float) -> tuple[list[int], float | None]:
        """Grant what may go at `now`; return the grants and when to poll next."""
        # Same expression as the next-poll time below, so float rounding cannot stall us.
        while self._sent and self._sent[0] + self.window <= now:
            self._sent.popleft()
        granted: list[int] = []
        while self._queue and now >= self._paused_until and len(self._sent) < self.limit:
            _, ticket = heapq.heappop(self._queue)
            if ticket in self._cancelled:
                self._cancelled.discard(ticket)
                continue
            self._sent.append(now)
            granted.append(ticket)
        self._drop_cancelled_head()
        if not self._queue:
            return granted, None
        if now < self._paused_until:
            return granted, self._paused_until
        # A slot frees when the oldest send leaves the window.
        return granted, self._sent[0] + self.window

    def _drop_cancelled_head(self) -> None:
        while self._queue and self._queue[0][1] in self._cancelled:
            self._cancelled.discard(heapq.heappop(self._queue)[1])


class RateLimiter:
    """Asyncio driver for `WindowScheduler`: `await acquire()` before each request."""

    def __init__(
        self, limit: int = 90, window: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._core = WindowScheduler(limit, window)
        self._clock = clock
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._timer: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        return self._core.waiting

    async def acquire(self, lane: Lane | None = None) -> float:
        """Wait for a slot; returns the seconds waited."""
        started = self._clock()
        ticket = self._core.enqueue(current_lane.get() if lane is None else lane)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[ticket] = future
        self._pump()
        try:
            await future
        except asyncio.CancelledError:
            self._core.cancel(ticket)
            self._waiters.pop(ticket, None)
            raise
        return self._clock() - started

    def pause_for(self, seconds: float) -> None:
        self._core.pause_until(self._clock() + seconds)
        self._pump()

    def _pump(self) -> None:
        granted, next_poll = self._core.poll(self._clock())
        for ticket in granted:
            future = self._waiters.pop(ticket, None)
            if future is not None and not future.done():
                future.set_result(None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if next_poll is not None:
            delay = max(0.0, next_poll - self._clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._pump)


_limiters: dict[tuple[str, int, float], RateLimiter] = {}


def limiter_for(api_key: str, limit: int, window: float) -> RateLimiter:
    """One limiter per API key per process, so every client sharing a key shares a budget."""
    digest = hashlib.sha256(api_key.encode()).hexdigest()  # don't keep the key itself
    key = (digest, limit, window)
    if key not in _limiters:
        _limiters[key] = RateLimiter(limit, window)
    return _limiters[key]
