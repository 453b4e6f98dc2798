"""The open-tickets board: every open ticket, shared by App Home, reminders and the other
desk features, so 30 people opening Home at 9:00 cost one read, not 30.

A snapshot younger than the caller's `max_age` is served from memory, and callers
arriving during a read wait for it (single flight). A read is served as long as its cost
needs (`kept_for`: a sixth of the Mava budget) and goes back a year at a time, newest
first, until a year without an open ticket or `DIGEST_MAX_YEARS`. It runs in its own
task, so a caller that gives up does not cancel it for the others, in the lane of the
caller that started it. A failed read is not cached; `last` keeps the previous snapshot.

Of each ticket's messages only the desk's are kept (`desk_messages`): a snapshot's
ticket is no ticket to draw a card with its last messages from.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from mava_bridge.domain.send_window import DESK_SHARE, FLOOR, read_interval
from mava_bridge.domain.tickets import OPEN_STATUSES
from mava_bridge.domain.waiting import read_for_waiting
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.errors import MavaError, describe
from mava_bridge.mava.keyset import pages_by_created
from mava_bridge.mava.models import Ticket
from mava_bridge.mava.query import TicketQuery
from mava_bridge.settings import Settings
from mava_bridge.store.db import utcnow

log = logging.getLogger(__name__)

YEAR: Final = timedelta(days=365)  # Mava's longest search window
CLOCK_SKEW: Final = timedelta(minutes=5)  # reach past "now" for a skewed Mava clock


def desk_messages(ticket: Ticket) -> Ticket:
    """The ticket with only the messages the desk reads, in Mava's order: the first
    customer message and those `domain.waiting` reads (the same ticket if all are)."""
    messages = ticket.messages
    if not messages:
        return ticket
    kept = read_for_waiting(messages)
    first = ticket.first_customer_message()
    if first is not None:
        kept.add(next(i for i, message in enumerate(messages) if message is first))
    if len(kept) == len(messages):
        return ticket
    return ticket.model_copy(update={"messages": [messages[i] for i in sorted(kept)]})


@dataclass(frozen=True)
class BoardSnapshot:
    """Every open ticket as one read found them (newest first), when that read began, and
    how many Mava requests it took."""

    tickets: list[Ticket]
    read_at: datetime
    pages: int


@dataclass
class _Read:
    task: asyncio.Task[BoardSnapshot]
    started: float  # monotonic


class OpenBoard:
    def __init__(
        self,
        mava: MavaClient,
        *,
        refresh_seconds: float = 60.0,
        max_years: int = 5,
        budget: tuple[int, float] = (90, 30.0),
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.mava = mava
        self.refresh_seconds = refresh_seconds
        self.max_years = max(1, max_years)
        self._budget = budget  # Mava's limit per window, of which the board takes a sixth
        self.kept_for = refresh_seconds  # how long the last read is served (`_pace`)
        self._clock = clock
        self._now = now
        self.last: BoardSnapshot | None = None  # however old; None before the first read
        self._last_started = 0.0  # monotonic start of the read that made `last`
        self._read: _Read | None = None
        self.reads = 0  # reads started (for tests and the bench)

    @classmethod
    def from_settings(
        cls, settings: Settings, mava: MavaClient, *, now: Callable[[], datetime] = utcnow
    ) -> OpenBoard:
        return cls(
            mava,
            refresh_seconds=settings.desk_refresh_seconds,
            max_years=settings.digest_max_years,
            budget=(settings.mava_rate_limit, settings.mava_rate_window_seconds),
            now=now,
        )

    def last_pages(self) -> int:
        """The Mava requests the latest read took (0 before the first)."""
        return self.last.pages if self.last else 0

    def update(self, ticket: Ticket) -> None:
        """Put a ticket read back after a write into the snapshot (dropped once no longer
        open), so the writer sees its change before the next read."""
        if self.last is None:
            return
        ticket = desk_messages(ticket)
        rest = [t for t in self.last.tickets if t.id != ticket.id]
        if ticket.status in OPEN_STATUSES:
            at = next((i for i, t in enumerate(self.last.tickets) if t.id == ticket.id), 0)
            rest.insert(at, ticket)
        self.last = replace(self.last, tickets=rest)

    async def snapshot(self, *, max_age: float | None = None) -> BoardSnapshot:
        """Open tickets read no more than `max_age` seconds ago (default `kept_for`). A
        read counts from when it began, so it is never served as newer than it is.
        Raises MavaError if the read it needs fails."""
        limit = self.kept_for if max_age is None else max(0.0, max_age)
        while True:
            now = self._clock()
            if self.last is not None and now - self._last_started <= limit:
                return self.last
            current = self._read
            if current is None:
                current = self._start(now)
            elif now - current.started > limit:
                # Begun too long ago for this caller: let it finish, then read anew
                # (one read at a time, whatever callers ask).
                await asyncio.wait({current.task})
                continue
            return await asyncio.shield(current.task)

    async def close(self) -> None:
        """End a read still under way. Its callers wait through a shield, so cancelling them
        (the jobs, at shutdown) leaves it running; it must not ask a closed Mava client."""
        if self._read is not None:
            self._read.task.cancel()
            await asyncio.wait({self._read.task})

    def _pace(self, pages: int) -> None:
        """Serve a read as long as its cost needs to stay within a sixth of the Mava
        budget (thread sync may take a third; alerts, digests and people need the rest).
        At 90 per 30 s: 300 open tickets (4 pages) for 8 s, 5,000 (51 pages) for 102 s."""
        limit, window = self._budget
        kept = read_interval(pages, limit, window, DESK_SHARE, FLOOR, self.refresh_seconds)
        if kept > self.refresh_seconds and kept != self.kept_for:
            log.info(
                "open board kept longer than DESK_REFRESH_SECONDS to stay within a sixth "
                "of the Mava budget",
                extra={"pages": pages, "seconds": round(kept, 1)},
            )
        self.kept_for = kept

    def _start(self, now: float) -> _Read:
        task = asyncio.get_running_loop().create_task(self._read_all(now))
        read = _Read(task, now)
        self._read = read
        self.reads += 1
        task.add_done_callback(lambda done: self._finished(read, done))
        return read

    def _finished(self, read: _Read, task: asyncio.Task[BoardSnapshot]) -> None:
        if self._read is read:
            self._read = None
        if task.cancelled():
            return
        error = task.exception()  # retrieved here, so a read nobody awaits is not logged
        if error is None:
            if self.last is None or read.started >= self._last_started:
                self.last, self._last_started = task.result(), read.started
                self._pace(self.last.pages)
        elif isinstance(error, MavaError):
            log.warning("open board: Mava read failed: %s", describe(error))
        else:
            log.error("open board: read failed", exc_info=error)

    async def _read_all(self, started: float) -> BoardSnapshot:
        read_at = self._now()
        found: dict[str, Ticket] = {}
        pages = 0
        end = read_at + CLOCK_SKEW
        for _ in range(self.max_years):
            query = TicketQuery(end - YEAR, end, statuses=OPEN_STATUSES, include_messages=True)
            empty = True
            async for page in pages_by_created(self.mava, query):
                pages += 1
                empty = empty and not page.tickets
                for ticket in page.tickets:
                    if ticket.status in OPEN_STATUSES and ticket.id not in found:
                        found[ticket.id] = desk_messages(ticket)
            if empty:
                break  # the first empty year ends it (see delivery.queries)
            end -= YEAR
        log.info(
            "open board read",
            extra={
                "tickets": len(found),
                "pages": pages,
                "seconds": round(self._clock() - started, 3),
            },
        )
        return BoardSnapshot(list(found.values()), read_at, pages)
