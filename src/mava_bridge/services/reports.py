"""A support report's reads from Mava: the period's tickets, the resolved ones created
before it, and the open backlog.

Mava searches by `createdAt` only and has no "resolved at": a ticket resolved in the
period is found among the Resolved tickets created in the `RESOLVED_LOOKBACK` before it
(one resolved after a longer life is not counted). The backlog is Mava's `count` of open
tickets, a year per request, back to a year without any.

A report is a one-off read of up to thousands of tickets, so its requests are spaced
(not paced between runs): all reports of the process together take at most
1/REPORT_SHARE of the budget (90 per 30 s: one every 2 s).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Final

from mava_bridge.domain import report_stats
from mava_bridge.domain.report_stats import NO_AGENT, TicketFacts
from mava_bridge.domain.send_window import DESK_SHARE
from mava_bridge.domain.tickets import OPEN_STATUSES, Status
from mava_bridge.domain.waiting import first_response
from mava_bridge.mava.keyset import Pages, pages_by_created
from mava_bridge.mava.lookup import Counting
from mava_bridge.mava.models import Ticket, TicketPage
from mava_bridge.mava.query import TicketQuery

log = logging.getLogger(__name__)

REPORT_SHARE: Final = DESK_SHARE  # a sixth of the budget, like the open board
RESOLVED_LOOKBACK: Final = timedelta(days=90)
YEAR: Final = timedelta(days=365)


def facts(ticket: Ticket) -> TicketFacts:
    resolved = None
    if ticket.status == Status.RESOLVED and ticket.resolution_time is not None:
        resolved = ticket.created_at + timedelta(milliseconds=ticket.resolution_time)
    agent = ticket.assigned_to.name if ticket.assigned_to and ticket.assigned_to.name else None
    return TicketFacts(
        id=ticket.id,
        origin=str(ticket.source_type or "unknown"),
        agent=agent or NO_AGENT,
        created=ticket.created_at,
        resolved=resolved,
        first_response=first_response(ticket.messages or []),
        csat=ticket.csat.value if ticket.csat else None,
    )


class PacedPages:
    """A Mava search client whose requests are spaced `interval` seconds apart, however
    many reports read through it at once (one per process: all reports share the
    sixth)."""

    def __init__(
        self,
        mava: Pages,
        interval: float,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._mava, self._interval, self._sleep, self._clock = mava, interval, sleep, clock
        self._last: float | None = None
        self._turn = asyncio.Lock()

    async def fetch_tickets(
        self, query: TicketQuery, *, limit: int = 50, skip: int = 0
    ) -> TicketPage:
        async with self._turn:
            if self._last is not None:
                wait = self._last + self._interval - self._clock()
                if wait > 0:
                    await self._sleep(wait)
            self._last = self._clock()
        return await self._mava.fetch_tickets(query, limit=limit, skip=skip)


@dataclass(frozen=True)
class ReportRead:
    report: report_stats.Report
    requests: int
    tickets: int
    seconds: float


class ReportReader:
    def __init__(
        self,
        mava: Pages,
        *,
        budget: tuple[int, float],
        max_years: int,
        now: Callable[[], datetime],
    ) -> None:
        limit, window = budget
        self.interval = window / max(1, limit // REPORT_SHARE)
        self._paced = PacedPages(mava, self.interval)
        self._max_years = max(1, max_years)
        self._now = now

    async def read(self, days: int, zone: tzinfo) -> ReportRead:
        """The report of the `days` up to now. Raises MavaError."""
        started = time.monotonic()
        end = self._now()
        start = end - timedelta(days=days)
        mava = Counting(self._paced)
        found: dict[str, TicketFacts] = {}
        for query in (
            TicketQuery(start, end, include_messages=True),
            TicketQuery(start - RESOLVED_LOOKBACK, start, statuses=(Status.RESOLVED,)),
        ):
            async for page in pages_by_created(mava, query):
                found.update((t.id, facts(t)) for t in page.tickets)
        backlog = await self._backlog(mava, end)
        report = report_stats.build(found.values(), start, end, backlog, zone)
        read = ReportRead(report, mava.requests, len(found), time.monotonic() - started)
        log.info(
            "report read",
            extra={
                "days": days,
                "tickets": read.tickets,
                "requests": read.requests,
                "seconds": round(read.seconds, 1),
            },
        )
        return read

    async def _backlog(self, mava: Pages, end: datetime) -> int:
        total = 0
        for _ in range(self._max_years):
            page = await mava.fetch_tickets(
                TicketQuery(end - YEAR, end, statuses=OPEN_STATUSES), limit=1
            )
            total += page.count
            if not page.count:
                break
            end -= YEAR
        return total
