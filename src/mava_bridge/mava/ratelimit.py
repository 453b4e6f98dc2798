"""Client-side rate limiting for the Mava API (90 requests per 30 s per key).

People (`INTERACTIVE`: a Slack user waiting) go ahead of queued background work (the
poller, scheduled digests), and part of every window is kept for them: background sends
take at most `limit - reserve` slots of any window (a tenth is kept: 9 of 90). A person
waits only when other people used up the reserve, or during a pause after a 429.

`RateLimiter` drives the pure `WindowScheduler` for one process. `SharedLimiter` keeps
that promise for replicas sharing a key: its head asks the `SharedBudget` (one window per
key in the shared database) for a slot with the head's cap. When the budget cannot be
reached in `timeout`, the process falls back to a local share (`fallback_limit`, a third
of the limit or less), says so once per outage, tries again every `retry_seconds`, and
counts the sends made meanwhile in the budget first when it is back.

Mava counts a request when it arrives, a varying few ms after we let it go (more when our
loop is busy), so our windows are `ARRIVAL_MARGIN` longer than Mava's.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from enum import IntEnum
from typing import Final, Protocol

from mava_bridge.domain.send_window import seconds_until_free

log = logging.getLogger(__name__)

ARRIVAL_MARGIN: Final = 0.5
BUDGET_TIMEOUT: Final = 1.0  # longest wait for the shared budget before falling back
RETRY_SHARED_SECONDS: Final = 10.0  # during an outage, how often a send tries it again


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


def checked(limit: int, window: float, reserve: int | None) -> int:
    """The reserve (default: a tenth); ValueError for settings no window can keep."""
    reserve = default_reserve(limit) if reserve is None else reserve
    if limit < 1 or window <= 0 or not 0 <= reserve < limit:
        raise ValueError("limit must be >= 1, window > 0 and 0 <= reserve < limit")
    return reserve


def cap(lane: Lane, limit: int, reserve: int) -> int:
    """A `lane` request is granted only while the window holds fewer sends than this."""
    return limit if lane is Lane.INTERACTIVE else limit - reserve


class Limiter(Protocol):
    """What `MavaClient` needs of a limiter: `RateLimiter` or `SharedLimiter`."""

    async def acquire(self, lane: Lane | None = None) -> float: ...

    def pause_for(self, seconds: float) -> None: ...

    async def aclose(self) -> None: ...


class SharedBudget(Protocol):
    """One sliding window per API key (store.mava_budget); raises when unreachable.
    `take` counts one send and returns 0.0 while the window holds fewer than `cap`, else
    the seconds until one may go; `record` counts sends made while it was unreachable."""

    async def take(self, cap: int, window: float, lane: str) -> float: ...

    async def record(self, sent: Sequence[tuple[float, str]]) -> None: ...

    async def aclose(self) -> None: ...


class LaneQueue:
    """Waiting requests: interactive ones first, each lane in arrival order."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int]] = []
        self._cancelled: set[int] = set()
        self._tickets = itertools.count()

    def enqueue(self, lane: Lane) -> int:
        ticket = next(self._tickets)
        heapq.heappush(self._heap, (int(lane), ticket))
        return ticket

    def cancel(self, ticket: int) -> None:
        self._cancelled.add(ticket)

    def head(self) -> Lane | None:
        while self._heap and self._heap[0][1] in self._cancelled:
            self._cancelled.discard(heapq.heappop(self._heap)[1])
        return Lane(self._heap[0][0]) if self._heap else None

    def pop(self) -> int:
        return heapq.heappop(self._heap)[1]

    @property
    def waiting(self) -> int:
        return len(self._heap) - len(self._cancelled)


class WindowScheduler(LaneQueue):
    """The queue, granted so that no `window`-second span ever holds more than `limit`, and
    background sends only while the span holds fewer than `limit - reserve`. Pure: the
    time is an argument."""

    def __init__(self, limit: int, window: float, reserve: int | None = None) -> None:
        self.limit, self.window, self.reserve = limit, window, checked(limit, window, reserve)
        self._sent: deque[float] = deque()  # grant times still inside the window
        self._paused_until = float("-inf")
        super().__init__()

    def pause_until(self, when: float) -> None:
        """Hold every send until `when` (Mava said 429: another process shares the key)."""
        self._paused_until = max(self._paused_until, when)

    def poll(self, now: float) -> tuple[list[int], float | None]:
        """Grant what may go at `now`; return the grants and when to poll next."""
        # Same expression as the next-poll time below, so float rounding cannot stall us.
        while self._sent and self._sent[0] + self.window <= now:
            self._sent.popleft()
        granted: list[int] = []
        # The head's cap decides: a blocked background head has no interactive one behind.
        lane = self.head()
        while now >= self._paused_until and lane is not None and len(self._sent) < self.cap(lane):
            granted.append(self.pop())
            self._sent.append(now)
            lane = self.head()
        if lane is None:
            return granted, None
        if now < self._paused_until:
            return granted, self._paused_until
        # The head may go once the send at index len - cap leaves the window.
        return granted, self._sent[len(self._sent) - self.cap(lane)] + self.window

    def cap(self, lane: Lane) -> int:
        return cap(lane, self.limit, self.reserve)


class RateLimiter(WindowScheduler):
    """`WindowScheduler` on the asyncio loop: `await acquire()` before each request."""

    def __init__(
        self,
        limit: int = 90,
        window: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        reserve: int | None = None,
    ) -> None:
        super().__init__(limit, window, reserve)
        self._clock = clock
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._timer: asyncio.TimerHandle | None = None

    async def acquire(self, lane: Lane | None = None) -> float:
        """Wait for a slot; returns the seconds waited."""
        started = self._clock()
        ticket = self.enqueue(current_lane.get() if lane is None else lane)
        await _turn(self._waiters, ticket, self._pump, self.cancel)
        return self._clock() - started

    def pause_for(self, seconds: float) -> None:
        self.pause_until(self._clock() + seconds)
        self._pump()

    async def aclose(self) -> None:
        """Nothing to release (one limiter per key may serve several clients)."""

    def _pump(self) -> None:
        granted, next_poll = self.poll(self._clock())
        for ticket in granted:
            _grant(self._waiters, ticket)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if next_poll is not None:
            delay = max(0.0, next_poll - self._clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._pump)


async def _turn(
    waiters: dict[int, asyncio.Future[None]],
    ticket: int,
    queued: Callable[[], None],
    cancel: Callable[[int], None],
) -> None:
    """Wait until `ticket` is granted. Cancelled before that, it gives its turn away (a
    granted slot stays counted: the request may not go, but the window is unharmed)."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    waiters[ticket] = future
    queued()
    try:
        await future
    except asyncio.CancelledError:
        if waiters.pop(ticket, None) is not None:
            cancel(ticket)
        raise


def _grant(waiters: dict[int, asyncio.Future[None]], ticket: int) -> None:
    future = waiters.pop(ticket, None)
    if future is not None and not future.done():
        future.set_result(None)


def limiter_for(limit: int, window: float) -> RateLimiter:
    """One process's limiter. Not cached in a module global: it holds futures and a timer
    of its event loop, and one kept across loops (tests, the demo) could stall."""
    return RateLimiter(limit, window + ARRIVAL_MARGIN)


def describe_failure(exc: BaseException, timeout: float) -> str:
    """The error's kind and first line: a database error's later lines quote the SQL."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:200] if first else type(exc).__name__


class SharedLimiter(LaneQueue):
    """`RateLimiter` for replicas sharing one key's budget (see the module docstring).
    `window` is Mava's; ours add `ARRIVAL_MARGIN`."""

    def __init__(
        self,
        budget: SharedBudget,
        limit: int,
        window: float,
        *,
        fallback_limit: int,
        reserve: int | None = None,
        timeout: float = BUDGET_TIMEOUT,
        retry_seconds: float = RETRY_SHARED_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        reserve = checked(limit, window, reserve)
        if not 1 <= fallback_limit <= limit:
            raise ValueError("fallback_limit must be between 1 and limit")
        self._budget = budget
        self.limit, self.reserve, self.mava_window = limit, reserve, window
        self.window = window + ARRIVAL_MARGIN
        self.fallback_limit = fallback_limit
        self._fallback_reserve = default_reserve(fallback_limit)
        self._timeout, self._retry, self._clock = timeout, retry_seconds, clock
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._sent: deque[float] = deque()  # this process's grants (the fallback counts them)
        # Grants made on the local share, told to the budget when it is back: (time, lane).
        self._unshared: deque[tuple[float, str]] = deque()
        self._paused_until = float("-inf")
        self._outage_until: float | None = None  # None: the shared budget is in use
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        super().__init__()

    @property
    def shared(self) -> bool:
        """False while this process runs on its local share (the budget unreachable)."""
        return self._outage_until is None

    async def acquire(self, lane: Lane | None = None) -> float:
        """Wait for a slot; returns the seconds waited."""
        started = self._clock()
        lane = current_lane.get() if lane is None else lane
        if self._loop is not asyncio.get_running_loop():
            # Kept per key per process; a new event loop (tests, a restart) starts clean.
            self._loop = asyncio.get_running_loop()
            self._wake, self._task = asyncio.Event(), None
            self._waiters.clear()
            super().__init__()
        head = self.head()
        if head is None or lane < head:
            self._wake.set()  # a new head: its cap may let it go sooner
        ticket = self.enqueue(lane)
        await _turn(self._waiters, ticket, self._start, self.cancel)
        return self._clock() - started

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="mava-shared-limiter")

    def cancel(self, ticket: int) -> None:
        super().cancel(ticket)
        self._wake.set()

    def pause_for(self, seconds: float) -> None:
        """Hold every send of this process (Mava said 429)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._wake.set()

    async def aclose(self) -> None:
        """Release the budget's connection (the client closes its limiter)."""
        await self._budget.aclose()

    def _cap(self, lane: Lane, *, local: bool) -> int:
        if local:
            return cap(lane, self.fallback_limit, self._fallback_reserve)
        return cap(lane, self.limit, self.reserve)

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # set from here on (even during `_ask`): look again
            lane = self.head()
            if lane is None:
                return
            now = self._clock()
            if now < self._paused_until:
                wait = self._paused_until - now
            else:
                wait = await self._ask(lane, now)
                if wait <= 0:
                    self._grant()
                    continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _ask(self, lane: Lane, now: float) -> float:
        """0.0: the head may go now; else seconds to wait before asking again."""
        if self._outage_until is not None and now < self._outage_until:
            return min(self._local_wait(lane, now), self._outage_until - now)
        try:
            if self._unshared:
                # Back after an outage: first count what went out meanwhile, or the
                # shared window would let the others fill it again on top of that.
                recent = [(now - at, name) for at, name in self._unshared if at + self.window > now]
                await asyncio.wait_for(self._budget.record(recent), self._timeout)
                self._unshared.clear()
            wait = await asyncio.wait_for(
                self._budget.take(self._cap(lane, local=False), self.window, lane.name.lower()),
                self._timeout,
            )
        except Exception as exc:  # database down, refused, too slow
            if self._outage_until is None:
                log.warning(
                    "shared Mava budget unreachable: %s; using a local share of %d per %g s",
                    describe_failure(exc, self._timeout),
                    self.fallback_limit,
                    self.mava_window,
                )
            now = self._clock()
            self._outage_until = now + self._retry
            return self._local_wait(lane, now)
        if self._outage_until is not None:
            self._outage_until = None
            log.info("shared Mava budget reachable again; the local share is no longer used")
        return wait

    def _local_wait(self, lane: Lane, now: float) -> float:
        self._forget_old(now)
        return seconds_until_free(self._sent, now, self._cap(lane, local=True), self.window)

    def _forget_old(self, now: float) -> None:
        while self._sent and self._sent[0] + self.window <= now:
            self._sent.popleft()

    def _grant(self) -> None:
        # The slot was asked for with the head's cap; a head that came first meanwhile
        # is an interactive one, whose cap is no lower, so it may take the slot.
        now = self._clock()
        self._forget_old(now)
        self._sent.append(now)
        lane = self.head()
        if lane is not None:
            ticket = self.pop()
            if self._outage_until is not None:
                self._unshared.append((now, lane.name.lower()))
            _grant(self._waiters, ticket)
