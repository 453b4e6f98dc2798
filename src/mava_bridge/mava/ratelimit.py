"""Client-side rate limiting for the Mava API (90 requests per 30 s per key).

`WindowScheduler` is the pure decision logic: who may send, and when to look again.
It takes the time as an argument, so it can be proven with a fake clock.
`RateLimiter` drives it on the asyncio loop. Requests made for a Slack user who is
waiting (`INTERACTIVE`) go ahead of queued background work (`BACKGROUND`: the alert
poller, scheduled digests). Going first is not enough when background work has already
filled the window, so part of every window is kept for people: background sends may
take at most `limit - reserve` slots of any window, interactive sends all `limit` (the
reserve defaults to a tenth, 9 of 90). A person then waits only when other people's
sends have used up the reserve, or during a pause after a 429.
`limiter_for` widens the window by `ARRIVAL_MARGIN`, because Mava counts a request when
it arrives, a little (and a varying amount) after we let it go.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from enum import IntEnum
from typing import Final, Protocol


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


def default_reserve(limit: int) -> int:
    """Slots of each window kept for interactive sends: a tenth (9 of 90; 0 below 10)."""
    return limit // 10


class Limiter(Protocol):
    """What `MavaClient` needs of a limiter: `RateLimiter` (one process) or
    `SharedLimiter` (replicas drawing from one budget)."""

    async def acquire(self, lane: Lane | None = None) -> float: ...

    def pause_for(self, seconds: float) -> None: ...

    async def aclose(self) -> None: ...


class SharedBudget(Protocol):
    """One sliding window per API key that several processes draw from (on PostgreSQL:
    `mava_bridge.store.mava_budget`). Raises when it cannot be reached."""

    async def take(self, cap: int, window: float, lane: str) -> float:
        """Count one send and return 0.0 if the last `window` seconds hold fewer than
        `cap` sends; else count nothing and return the seconds until one may go."""
        ...

    async def record(self, sent: Sequence[tuple[float, str]]) -> None:
        """Count sends made without asking (while it was unreachable): (seconds ago, lane)."""
        ...

    async def aclose(self) -> None: ...


class WindowScheduler:
    """Grants sends so that no `window`-second span ever holds more than `limit`, and
    background sends are granted only while the span holds fewer than `limit - reserve`
    (so background work alone never fills more than that share of any window)."""

    def __init__(self, limit: int, window: float, reserve: int | None = None) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        reserve = default_reserve(limit) if reserve is None else reserve
        if not 0 <= reserve < limit:
            raise ValueError("reserve must be >= 0 and below limit")
        self.limit = limit
        self.window = window
        self.reserve = reserve
        self._sent: deque[float] = deque()  # grant times still inside the window
        self._queue: list[tuple[int, int]] = []  # (lane, ticket) heap
        self._cancelled: set[int] = set()
        self._tickets = itertools.count()
        self._paused_until = float("-inf")

    def cap(self, lane: Lane) -> int:
        """A `lane` request is granted only while the window holds fewer sends than this."""
        return self.limit if lane is Lane.INTERACTIVE else self.limit - self.reserve

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
        self._drop_cancelled_head()
        if now >= self._paused_until:
            # The heap serves every interactive request before any background one, so
            # the head's cap decides: a blocked background head leaves nothing behind it
            # that could go.
            while self._queue and len(self._sent) < self.cap(Lane(self._queue[0][0])):
                granted.append(heapq.heappop(self._queue)[1])
                self._sent.append(now)
                self._drop_cancelled_head()
        if not self._queue:
            return granted, None
        if now < self._paused_until:
            return granted, self._paused_until
        # The head may go once the window holds fewer than its cap: when the send at
        # index len - cap leaves it (the oldest, for an interactive head at the limit).
        cap = self.cap(Lane(self._queue[0][0]))
        return granted, self._sent[len(self._sent) - cap] + self.window

    def _drop_cancelled_head(self) -> None:
        while self._queue and self._queue[0][1] in self._cancelled:
            self._cancelled.discard(heapq.heappop(self._queue)[1])


class RateLimiter:
    """Asyncio driver for `WindowScheduler`: `await acquire()` before each request."""

    def __init__(
        self,
        limit: int = 90,
        window: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        reserve: int | None = None,
    ) -> None:
        self._core = WindowScheduler(limit, window, reserve)
        self._clock = clock
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._timer: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        return self._core.waiting

    @property
    def window(self) -> float:
        return self._core.window

    @property
    def reserve(self) -> int:
        return self._core.reserve

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
            # Still in `_waiters` means not granted yet: give the turn away. (A granted
            # slot stays counted: the request may not go, but the window is unharmed.)
            if self._waiters.pop(ticket, None) is not None:
                self._core.cancel(ticket)
            raise
        return self._clock() - started

    def pause_for(self, seconds: float) -> None:
        self._core.pause_until(self._clock() + seconds)
        self._pump()

    async def aclose(self) -> None:
        """Nothing to release (one limiter per key may serve several clients)."""

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


# Mava counts a request when it arrives, a varying few milliseconds (more when our loop
# is busy) after we granted it: a slot freed at exactly t + window could land inside
# Mava's window of the send at t. Waiting this much longer keeps us one short of a 429.
ARRIVAL_MARGIN: Final = 0.5


def limiter_for(limit: int, window: float) -> RateLimiter:
    """The limiter of one process's Mava client: Mava's `window` plus `ARRIVAL_MARGIN`,
    the default reserve. The composition root builds one client per process, so every
    request of the process shares it. Not cached in a module global: a limiter holds
    futures and a timer of the event loop it serves, and one kept across loops (tests,
    the demo) could grant a waiter of a loop that is gone and stall the rest."""
    return RateLimiter(limit, window + ARRIVAL_MARGIN)
