"""A report's reads are spaced to stay within a sixth of the Mava budget, whatever the
number of reports reading at once; each report counts its own requests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from mava_bridge.mava.lookup import Counting
from mava_bridge.mava.models import TicketPage
from mava_bridge.mava.query import TicketQuery
from mava_bridge.services.reports import PacedPages, ReportReader

QUERY = TicketQuery(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))


class Clock:
    """Virtual time: sleeping moves it, nothing waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sent: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class Mava:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def fetch_tickets(
        self, query: TicketQuery, *, limit: int = 50, skip: int = 0
    ) -> TicketPage:
        self.clock.sent.append(self.clock.now)
        await asyncio.sleep(0)
        page = {"limit": limit, "skip": skip, "hasMore": False}
        return TicketPage.model_validate({"tickets": [], "count": 0, "pagination": page})


def test_the_interval_is_a_sixth_of_the_budget() -> None:
    reader = ReportReader(Mava(Clock()), budget=(90, 30.0), max_years=1, now=lambda: QUERY.end)
    assert reader.interval == 2.0


async def test_concurrent_reports_share_one_pace() -> None:
    clock = Clock()
    paced = PacedPages(Mava(clock), 2.0, sleep=clock.sleep, clock=clock)
    one, two = Counting(paced), Counting(paced)

    async def read(who: Counting, times: int) -> None:
        for _ in range(times):
            await who.fetch_tickets(QUERY)

    await asyncio.gather(read(one, 5), read(two, 3))
    assert (one.requests, two.requests) == (5, 3)
    gaps = [b - a for a, b in zip(clock.sent, clock.sent[1:], strict=False)]
    assert len(clock.sent) == 8 and min(gaps) >= 2.0
