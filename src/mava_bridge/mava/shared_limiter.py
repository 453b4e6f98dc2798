"""One Mava budget for all replicas: the local lane order in front of a shared window.

`SharedLimiter` keeps `RateLimiter`'s promise (people first, background work never in
the slots kept for them) when several processes send with one API key. Locally it
queues requests by lane, as `RateLimiter` does; its head then asks the `SharedBudget`
(one sliding window per key in the database the replicas share) for a slot, with the
head's cap: `limit` for a person, `limit - reserve` for background work. So the reserve
holds across replicas: background sends of all replicas together stay below
`limit - reserve`, and a person on any replica still finds a slot.

When the budget cannot be reached (database down, slow: bounded by `timeout`) this
process falls back to a local share (`fallback_limit` per window, meant to be a third of
the limit or less, so a few replicas on their own still stay within the key) and says
so once per outage; every `retry_seconds` the next send tries the budget again. When
it is back, the sends made on the local share are counted in it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from mava_bridge.domain.send_window import seconds_until_free
from mava_bridge.mava.ratelimit import (
    ARRIVAL_MARGIN,
    Lane,
    SharedBudget,
    current_lane,
    default_reserve,
)

log = logging.getLogger(__name__)

BUDGET_TIMEOUT: Final = 1.0  # longest wait for the shared budget before falling back
RETRY_SHARED_SECONDS: Final = 10.0  # during an outage, how often a send tries it again


def describe_failure(exc: BaseException, timeout: float) -> str:
    """The error's kind and first line: a database error's later lines quote the SQL."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:200] if first else type(exc).__name__


class SharedLimiter:
    """`await acquire()` before each request; drop-in for `RateLimiter`.

    `window` is Mava's; the shared and the local window add `ARRIVAL_MARGIN`, as
    `limiter_for` does (Mava counts a request when it arrives)."""

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
        reserve = default_reserve(limit) if reserve is None else reserve
        if limit < 1 or window <= 0 or not 0 <= reserve < limit:
            raise ValueError("limit must be >= 1, window > 0 and 0 <= reserve < limit")
        if not 1 <= fallback_limit <= limit:
            raise ValueError("fallback_limit must be between 1 and limit")
        self._budget = budget
        self.limit, self.reserve, self.mava_window = limit, reserve, window
        self.window = window + ARRIVAL_MARGIN
        self.fallback_limit = fallback_limit
        self._fallback_reserve = default_reserve(fallback_limit)
        self._timeout, self._retry, self._clock = timeout, retry_seconds, clock
        self._queue: list[tuple[int, int]] = []  # (lane, ticket) heap
        self._waiters: dict[int, asyncio.Future[None]] = {}
        self._cancelled: set[int] = set()
        self._tickets = itertools.count()
        self._sent: deque[float] = deque()  # this process's grants (the fallback counts them)
        # Grants made on the local share, told to the budget when it is back: (time, lane).
        self._unshared: deque[tuple[float, str]] = deque()
        self._paused_until = float("-inf")
        self._outage_until: float | None = None  # None: the shared budget is in use
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def waiting(self) -> int:
        return len(self._queue) - len(self._cancelled)

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
            self._queue.clear()
            self._waiters.clear()
            self._cancelled.clear()
        ticket = next(self._tickets)
        self._drop_cancelled_head()
        if not self._queue or int(lane) < self._queue[0][0]:
            self._wake.set()  # a new head: its cap may let it go sooner
        heapq.heappush(self._queue, (int(lane), ticket))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[ticket] = future
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="mava-shared-limiter")
        try:
            await future
        except asyncio.CancelledError:
            if self._waiters.pop(ticket, None) is not None:
                self._cancelled.add(ticket)
                self._wake.set()
            raise
        return self._clock() - started

    def pause_for(self, seconds: float) -> None:
        """Hold every send of this process (Mava said 429)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._wake.set()

    async def aclose(self) -> None:
        """Release the budget's connection (the client closes its limiter)."""
        await self._budget.aclose()

    def _cap(self, lane: Lane, *, local: bool) -> int:
        limit, reserve = (
            (self.fallback_limit, self._fallback_reserve) if local else (self.limit, self.reserve)
        )
        return limit if lane is Lane.INTERACTIVE else limit - reserve

    async def _run(self) -> None:
        while True:
            self._wake.clear()  # set from here on (even during `_ask`): look again
            self._drop_cancelled_head()
            if not self._queue:
                return
            lane = Lane(self._queue[0][0])
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
        while self._sent and self._sent[0] + self.window <= now:
            self._sent.popleft()
        return seconds_until_free(self._sent, now, self._cap(lane, local=True), self.window)

    def _grant(self) -> None:
        # The slot was asked for with the head's cap; a head that came first meanwhile
        # is an interactive one, whose cap is no lower, so it may take the slot.
        now = self._clock()
        while self._sent and self._sent[0] + self.window <= now:
            self._sent.popleft()
        self._sent.append(now)
        self._drop_cancelled_head()
        if self._queue:
            lane, ticket = heapq.heappop(self._queue)
            if self._outage_until is not None:
                self._unshared.append((now, Lane(lane).name.lower()))
            future = self._waiters.pop(ticket, None)
            if future is not None and not future.done():
                future.set_result(None)

    def _drop_cancelled_head(self) -> None:
        while self._queue and self._queue[0][1] in self._cancelled:
            self._cancelled.discard(heapq.heappop(self._queue)[1])
