"""The work Slack's requests hand off after their ack: run in arrival order, a bounded
number at a time, after the acks of a burst, and drained on shutdown.

Under a burst, handed-off work (look-ups, database rows, Mava calls, answers) would take
the event loop from the acks of later requests (bench/ack_latency.py). So spawning never
waits (the task is created and counted at once, and waits for its turn inside); work
starts once Slack's requests pause for QUIET_SECONDS, but at most MAX_DEFER_SECONDS after
its hand-off; at most `limit` run at once, the rest wait in arrival order. Work a running
piece hands off (a listener's, after Bolt ran it) is the same request's: it starts at once.

On shutdown (`finish`) the doors refuse new requests, so the pause rule is off; queued
work starts for the first START_SHARE of the drain. Then a slash command not started is
dropped and its person told to send it again (`untold`), so nothing is done twice; other
queued work starts, and what still runs at the drain's end is cancelled, a slash command
so cut off being told that it may or may not have been done.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

from mava_bridge.domain.shutdown import CANCEL_SECONDS, finish_or_cancel

log = logging.getLogger("mava_bridge.slack")

# The pause is longer than a garbage collection or a preemption of the process, which
# would otherwise release a burst's work halfway through its acks; the cap is far
# below anything a person would notice.
QUIET_SECONDS: Final = 0.02
MAX_DEFER_SECONDS: Final = 1.0
# httpx's pool for Mava holds 100 connections: more work at once only queues there, where
# each waiting request slows every assignment; fewer leaves Mava idle (at 64, a 200
# burst's replies took 9.5 s instead of 6.5 s with Mava at 2 s a call).
MAX_RUNNING: Final = 100
# The share of the drain during which queued work may still start.
START_SHARE: Final = 0.5

# Tells a slash command's person it did not run (False), or that the drain's end cut it
# off while it ran (True: it may have been done).
Untold = Callable[[bool], Awaitable[object]]

# Set inside a task running handed-off work: what it hands off in turn continues it (and
# is told of with the same `Untold`).
_RUNNING: ContextVar[bool] = ContextVar("inflight_running", default=False)
_UNTOLD: ContextVar[Untold | None] = ContextVar("inflight_untold", default=None)


@dataclass
class _Turn:
    ready: asyncio.Future[bool]  # True: run now; False: dropped at shutdown
    queued_at: float
    droppable: bool


class InFlight:
    """Handed-off work, counted from its hand-off so a drain cannot miss it."""

    def __init__(self, limit: int = MAX_RUNNING, *, pauses_collector: bool = False) -> None:
        self.limit = limit
        self.count = 0  # handed-off work not finished yet, queued or running
        self._running = 0
        self._permits: set[asyncio.Task[Any]] = set()  # the tasks counted in _running
        self._waiting: deque[_Turn] = deque()
        self._wake: asyncio.TimerHandle | None = None
        self._cut = False  # the drain's start window is over
        self._told: set[Untold] = set()  # commands told they were cut off
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[Any]] = set()  # strong refs: the loop keeps weak ones
        self._last_request = float("-inf")
        self.closing = False
        # `mava-bot run`'s: no garbage collection while a burst is acked.
        self._pauses_collector = pauses_collector
        self._collector_paused_at: float | None = None
        self._collector_wake: asyncio.TimerHandle | None = None

    def request_arrived(self) -> None:
        """Called by the doors for each Slack request, before its ack."""
        loop = asyncio.get_running_loop()
        self._last_request = loop.time()
        # No garbage collection until the door is quiet (at most MAX_DEFER_SECONDS): a
        # burst's objects are all alive, so collecting finds nothing, and a full
        # collection took 290 ms in a 500 burst (bench/ack_latency.py). If someone else
        # turned the collector off, it is theirs to turn on.
        paused = self._collector_paused_at is not None
        if not self._pauses_collector or paused or not gc.isenabled():
            return
        gc.disable()
        self._collector_paused_at = loop.time()
        self._collector_wake = loop.call_at(
            self._collector_paused_at + QUIET_SECONDS, self._resume_collector
        )

    async def after_acks(self) -> None:
        """Return once Slack's requests pause for QUIET_SECONDS, or MAX_DEFER_SECONDS from
        now: background jobs start here, so a burst's acks do not share the loop (or the
        GIL, with the database's thread) with a poll that happened to be due."""
        loop = asyncio.get_running_loop()
        due = loop.time() + MAX_DEFER_SECONDS
        # The quiet point moves with every request, so sleep until it, then look again.
        while not self.closing and (now := loop.time()) < (  # noqa: ASYNC110
            until := min(self._last_request + QUIET_SECONDS, due)
        ):
            await asyncio.sleep(until - now)

    def _resume_collector(self, *, now: bool = False) -> None:
        if self._collector_paused_at is None:
            return
        loop = asyncio.get_running_loop()
        quiet_at = self._last_request + QUIET_SECONDS
        due = self._collector_paused_at + MAX_DEFER_SECONDS
        if not now and loop.time() < min(quiet_at, due):
            self._collector_wake = loop.call_at(min(quiet_at, due), self._resume_collector)
            return
        if self._collector_wake is not None:
            self._collector_wake.cancel()
        self._collector_wake = None
        self._collector_paused_at = None
        gc.enable()

    def spawn(
        self, work: Coroutine[Any, Any, Any], *, name: str, untold: Untold | None = None
    ) -> asyncio.Task[Any]:
        """Run `work` when its turn comes. With `untold`, work not started when the drain
        stops starting work is dropped, and `untold(False)` tells its person."""
        self.count += 1
        self._idle.clear()
        continuing = _RUNNING.get()
        if continuing and untold is None:
            untold = _UNTOLD.get()
        task = asyncio.create_task(self._run(work, untold, continuing), name=name)
        self._tasks.add(task)
        if continuing:  # it takes the place of the work handing it off, from now
            self._permits.add(task)
            self._running += 1
        task.add_done_callback(self._finished)
        return task

    async def _run(
        self, work: Coroutine[Any, Any, Any], untold: Untold | None, continuing: bool
    ) -> Any:
        if not continuing:
            try:
                started = await self._turn(droppable=untold is not None)
            except asyncio.CancelledError:
                work.close()  # never started: close it rather than leave it un-awaited
                raise
            if not started:
                work.close()
                assert untold is not None
                return await untold(False)
            task = asyncio.current_task()
            assert task is not None
            self._permits.add(task)  # given back when the task is done (`_finished`)
        _RUNNING.set(True)  # this task's own context (a copy made by create_task)
        _UNTOLD.set(untold)
        try:
            return await work
        except asyncio.CancelledError:
            if untold is not None and self._cut and untold not in self._told:
                self._told.add(untold)  # the drain's end cut it off: say so, once
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(untold(True), CANCEL_SECONDS)
            raise

    async def _turn(self, *, droppable: bool) -> bool:
        loop = asyncio.get_running_loop()
        turn = _Turn(loop.create_future(), loop.time(), droppable)
        self._waiting.append(turn)
        self._admit()
        try:
            return await turn.ready
        except asyncio.CancelledError:
            if turn.ready.done() and not turn.ready.cancelled() and turn.ready.result():
                self._running -= 1  # admitted, then cancelled before it could start
                self._admit()
            raise

    def _admit(self) -> None:
        """Start queued work, oldest first, while the bound and the door allow."""
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._waiting:
            head = self._waiting[0]
            if head.ready.done():  # its task was cancelled while it waited
                self._waiting.popleft()
                continue
            if self._cut:
                self._waiting.popleft()
                if not head.droppable:
                    self._running += 1
                head.ready.set_result(not head.droppable)
                continue
            if self._running >= self.limit:
                return  # the next to finish admits again
            if not self.closing:
                quiet_at = self._last_request + QUIET_SECONDS
                due = head.queued_at + MAX_DEFER_SECONDS
                if now < quiet_at and now < due:
                    self._wake = loop.call_at(min(quiet_at, due), self._admit)
                    return
            self._waiting.popleft()
            self._running += 1
            head.ready.set_result(True)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task in self._permits:
            self._permits.discard(task)
            self._running -= 1
            self._admit()
        self.count -= 1
        if self.count == 0:
            self._idle.set()
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("handler failed", exc_info=error, extra={"handler": task.get_name()})

    async def finish(self, grace: float) -> bool:
        """Wait up to `grace` seconds for the work in flight (and what it hands off); cancel
        what outlives it (then False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        self.closing = True
        self._resume_collector(now=True)
        self._admit()  # the pause rule is off: no more acks to put first
        if await self.wait_idle(grace * START_SHARE):
            return True
        self._cut = True
        dropped = sum(1 for turn in self._waiting if turn.droppable and not turn.ready.done())
        if dropped:
            log.warning(
                "shutting down: %d slash commands not started; each person is told to"
                " send it again",
                dropped,
                extra={"not_started": dropped},
            )
        self._admit()
        if await self.wait_idle(deadline - loop.time()):
            return True
        await finish_or_cancel(list(self._tasks), 0.0)
        return False

    async def wait_idle(self, grace: float) -> bool:
        if self._idle.is_set():
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), max(0.0, grace))
        except TimeoutError:
            return False
        return True
