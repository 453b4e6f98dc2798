"""Verified Mava webhooks as nudges: the leader reads Mava now instead of at its next
interval. Mava promises no delivery and does not document its payload's cipher, so a
webhook is never the data: it only runs these jobs now, in the limiter's background
lane: the webhooks' tickets read by id (at most `READ_BY_ID`) into the open board; the
thread sync (for those tickets, with no search, when all are known and followed); the
desk over the open board; the alert poll.

The door on whichever replica Mava reached writes a row in `seen_webhooks`; every
replica's watcher reads the rows of the last `LOOK_BACK` every `WATCH_SECONDS`, and the
leader runs the jobs for rows it has not handled. Rows rather than LISTEN/NOTIFY: the
same on SQLite, no connection held outside the pool, and a notification missed during
a leader change is still a row. `poke()` wakes the watcher in the process that took
the webhook. Webhooks arriving during a run make one more run after it; nudged runs
start no sooner than thread sync's share of the budget allows (at least `MIN_GAP`).
While webhooks flow the interval jobs slow down (delivery.pacing's `WebhookFlow`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Final

from mava_bridge.delivery.desk_jobs import Desk
from mava_bridge.delivery.pacing import WebhookFlow
from mava_bridge.delivery.threads import ThreadSync
from mava_bridge.domain.send_window import DESK_SHARE, THREAD_SHARE, read_interval
from mava_bridge.mava.errors import TicketNotFound
from mava_bridge.mava.models import Ticket
from mava_bridge.mava.ratelimit import background
from mava_bridge.services.open_board import OpenBoard
from mava_bridge.store.db import utcnow
from mava_bridge.store.seen import SeenWebhooks

log = logging.getLogger(__name__)

WATCH_SECONDS: Final = 1.0
LOOK_BACK: Final = timedelta(minutes=2)  # also the clock skew between replicas tolerated
MIN_GAP: Final = 1.0  # seconds between the starts of two nudged runs, at least
READ_BY_ID: Final = 5  # a nudge for this many tickets or fewer reads each by id
GAP: Final = (MIN_GAP, MIN_GAP)  # floor and ceiling: MIN_GAP, or what the share needs


class Nudges:
    def __init__(
        self,
        seen: SeenWebhooks,
        should_run: Callable[[], Awaitable[bool]],
        threads: ThreadSync | None,
        desk: Desk,
        board: OpenBoard,
        poll: Callable[[], Awaitable[Any]],
        *,
        flow: WebhookFlow,  # told of each new webhook; the scheduler asks it
        budget: tuple[int, float],  # Mava's limit per window (the settings')
    ) -> None:
        self._seen = seen
        self._should_run = should_run
        self._threads = threads
        self._desk = desk
        self._board = board
        self._poll = poll
        self._flow = flow
        self._budget = budget
        self._clock = time.monotonic
        self._now = utcnow
        self._poked = asyncio.Event()
        self._handled: dict[str, datetime] = {}  # webhook id -> when first read here
        self._next_at = float("-inf")  # monotonic, the earliest next nudged run
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._stopping = False
        self._failing = False
        self.runs = 0  # nudged runs made (tests, the bench)

    def poke(self) -> None:
        """A webhook was recorded in this process: look now, not at the next second."""
        self._poked.set()

    def pending(self) -> bool:
        """A poke not yet looked at, or a look (and its run) under way."""
        return self._poked.is_set() or self._busy

    async def start(self) -> None:
        if self._task is None:
            await self._read_new()  # what came before start: the first runs cover it
            self._task = asyncio.get_running_loop().create_task(self._watch(), name="nudges")

    async def stop(self, grace: float = 10.0) -> None:
        """A run under way may finish (up to `grace` seconds), so what it claimed is
        posted and marked rather than left for the next leader's take-over."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._poked.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), grace)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._stopping = False

    async def _watch(self) -> None:
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(WATCH_SECONDS):
                    await self._poked.wait()
            if self._stopping:
                return
            await asyncio.sleep(max(0.0, self._next_at - self._clock()))
            self._busy = True
            self._poked.clear()
            try:
                await self.look_once()
                if self._failing:
                    log.info("webhook nudges: the database answers again")
                self._failing = False
            except Exception as exc:  # the database, mostly: the next look tries again
                if not self._failing:  # one line per outage, not one a second
                    log.warning("webhook nudges: could not look (%s)", type(exc).__name__)
                self._failing = True
            finally:
                self._busy = False

    async def look_once(self) -> bool:
        """On the leader, run the jobs for the webhooks not handled yet."""
        new = await self._read_new()
        if not new or not await self._should_run():
            return False
        tickets = None if None in new else frozenset(t for t in new if t is not None)
        await self._run(tickets)
        return True

    async def _read_new(self) -> set[str | None]:
        now = self._now()
        rows = await self._seen.since(now - LOOK_BACK)
        for webhook_id, when in list(self._handled.items()):
            if when < now - LOOK_BACK - LOOK_BACK:
                del self._handled[webhook_id]
        new = {ticket for webhook_id, ticket in rows if webhook_id not in self._handled}
        self._handled.update((webhook_id, now) for webhook_id, _ in rows)
        if new:
            self._flow.heard()
        return new

    async def _run(self, tickets: frozenset[str] | None) -> None:
        started = self._clock()
        self.runs += 1
        limit, window = self._budget
        with background():
            read = await self._step("tickets by id", self._read_by_id(tickets)) or None
            pages = len(read or ())
            if self._threads is not None:
                sync = self._threads.sync_once(only=tickets, read=read)
                synced = await self._step("thread sync", sync)
                pages += synced.pages if synced else 0  # failed: 0
            last = self._board.last
            fresh = read_interval(last.pages if last else 0, limit, window, DESK_SHARE, *GAP)
            await self._step("assignment DMs", self._desk.dms.poll_once(max_age=fresh))
            fresh = max(fresh, self._clock() - started)  # the read just made serves both
            await self._step("reminders", self._desk.reminders.poll_once(max_age=fresh))
            await self._step("SLA breaches", self._desk.breaches.poll_once(max_age=fresh))
        await self._step("alert poll", self._poll())
        self._next_at = started + read_interval(pages, limit, window, THREAD_SHARE, *GAP)
        log.info(
            "webhook nudge: Mava read now",
            extra={
                "tickets": sorted(tickets) if tickets else "all followed",
                "seconds": round(self._clock() - started, 3),
            },
        )

    async def _read_by_id(self, tickets: frozenset[str] | None) -> dict[str, Ticket] | None:
        """Into the board, so an assignment is DMed now rather than after the board's
        next whole read, and to the thread sync, which then needs no search. None when
        there are more than READ_BY_ID, or one cannot be read."""
        if not tickets or len(tickets) > READ_BY_ID:
            return None
        try:
            read = {t: await self._board.mava.get_ticket(t) for t in sorted(tickets)}
        except TicketNotFound:  # deleted, or not a ticket's id after all: not a failure
            return None
        for ticket in read.values():
            self._board.update(ticket)
        return read

    async def _step(self, name: str, work: Awaitable[Any]) -> Any:
        """One job; its failure is one line, and the others still run."""
        try:
            return await work
        except Exception as exc:
            log.warning("webhook nudge: %s failed (%s)", name, type(exc).__name__)
            return 0
