"""Reading a whole Mava search, whatever order Mava uses and however the list changes
while we read it.

Mava pages with `skip`, and its docs are silent on how ties of `createdAt` or of
priority are ordered, where a missing or non-numeric priority sorts, and what offsets do
when tickets are created or resolved between two requests. So:

- `pages_by_created` reads newest first in *keyset* windows: each request ends just
  after the oldest ticket seen (endDate is exclusive) and skips only the tickets already
  seen at that millisecond, so churn shifts no offset and pages never overlap (N tickets
  cost ceil(N/100) requests). Ties at the boundary that come back in another order make
  that page be read again from the boundary (one extra request, only then).
- A page-full of one millisecond (a bulk import) cannot be paged by offset: `read_instant`
  reads it in parts of one page each (one page is one consistent answer), by status,
  then by origin; a part still over a page is read by offsets until every ticket Mava
  counts was seen (at most `INSTANT_READS` passes); a shortfall is logged, never silent.
- `at_or_above` (a priority threshold) reads the first page sorted by priority: if it
  holds a *number* below the threshold, every numeric priority at or above it is on it.
  A word ("high") may sort above the numbers or below them: one seen above a number
  says above; otherwise the first page sorted ascending holds all that sorts below the
  numbers, unless it holds no number. When neither page settles it, it falls back to
  `pages_by_created` and the caller checks priorities. Cost: 1 or 2 requests usually,
  else those plus ceil(N/100).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final, Protocol

from mava_bridge.domain.tickets import Origin, Status
from mava_bridge.mava.models import Pagination, SortBy, SortOrder, Ticket, TicketPage
from mava_bridge.mava.query import PAGE_SIZE, TicketQuery

log = logging.getLogger(__name__)

_MS: Final = timedelta(milliseconds=1)
# Offset passes over a part of one millisecond still over a page; it stops as soon as
# every ticket Mava counts was seen (a pass of 230 in a new order each time misses a
# given one with a chance of about 0.28, so ten passes leave ~1e-4 of such a part).
INSTANT_READS: Final = 10


class Pages(Protocol):
    async def fetch_tickets(
        self, query: TicketQuery, *, limit: int = 50, skip: int = 0
    ) -> TicketPage: ...


def millisecond(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def pages_by_created(
    mava: Pages, query: TicketQuery, *, page_size: int = PAGE_SIZE
) -> AsyncGenerator[TicketPage, None]:
    """Every page of `query`, newest first, no ticket twice."""
    query = replace(query, sort_by=SortBy.CREATED_AT, sort_order=SortOrder.DESC)
    seen: set[str] = set()
    skip = 0
    boundary: datetime | None = None  # the millisecond the previous page ended on
    while True:
        page = await mava.fetch_tickets(query, limit=page_size, skip=skip)
        if (
            skip
            and boundary is not None
            and any(t.id in seen and millisecond(t.created_at) == boundary for t in page.tickets)
        ):
            # Ties at the boundary came back in another order: read it from the start.
            yield _fresh(page, seen)
            page = await mava.fetch_tickets(query, limit=page_size, skip=0)
        yield _fresh(page, seen)
        if not page.pagination.has_more or not page.tickets:
            return
        oldest = millisecond(min(t.created_at for t in page.tickets))
        at_oldest = sum(1 for t in page.tickets if millisecond(t.created_at) == oldest)
        if boundary == oldest or at_oldest == len(page.tickets):
            # More than a page in one millisecond: read it whole, then older ones.
            yield _fresh(await read_instant(mava, query, oldest, page_size=page_size), seen)
            if oldest <= query.start:
                return
            query, skip, boundary = query.with_window(query.start, oldest), 0, None
            continue
        skip, boundary = at_oldest, oldest
        query = query.with_window(query.start, oldest + _MS)


def _fresh(page: TicketPage, seen: set[str]) -> TicketPage:
    tickets = [t for t in page.tickets if t.id not in seen]
    seen.update(t.id for t in tickets)
    return page.model_copy(update={"tickets": tickets})


@dataclass
class _Found:
    """What the reads of one millisecond have seen so far."""

    tickets: dict[str, Ticket] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    anonymous: int = 0  # unreadable tickets without an id (most seen on one page)

    def add(self, page: TicketPage) -> None:
        self.tickets.update((t.id, t) for t in page.tickets)
        self.unreadable.update(page.unreadable)
        self.anonymous = max(self.anonymous, page.skipped - len(page.unreadable))

    def ids(self) -> set[str]:
        return self.tickets.keys() | self.unreadable.keys()


_Split = Callable[[TicketQuery], Sequence[TicketQuery]]


def _by_status(query: TicketQuery) -> list[TicketQuery]:
    return [replace(query, statuses=(s,)) for s in query.statuses or tuple(Status)]


def _by_origin(query: TicketQuery) -> list[TicketQuery]:
    return [replace(query, origins=(o,)) for o in query.origins or tuple(Origin)]


async def read_instant(
    mava: Pages, query: TicketQuery, moment: datetime, *, page_size: int = PAGE_SIZE
) -> TicketPage:
    """Every ticket of `query` created in the millisecond `moment`, as one page
    (`count` what Mava counts; `has_more` True only if some could not be read)."""
    window = query.with_window(moment, moment + _MS)
    found = _Found()
    count, _, complete = await _read_part(mava, window, found, [_by_status, _by_origin], page_size)
    if not complete:
        log.warning(
            "Mava returned more tickets created in one millisecond than could be read in a "
            "stable order; some were not read",
            extra={"counted": count, "read": len(found.ids()) + found.anonymous},
        )
    return TicketPage(
        tickets=list(found.tickets.values()),
        count=count,
        pagination=Pagination(limit=page_size, skip=0, has_more=not complete),
        skipped=len(found.unreadable) + found.anonymous,
        unreadable=found.unreadable,
    )


def _ids(page: TicketPage) -> set[str]:
    return {t.id for t in page.tickets} | page.unreadable.keys()


async def _read_part(
    mava: Pages, part: TicketQuery, found: _Found, splits: list[_Split], page_size: int
) -> tuple[int, set[str], bool]:
    """Read one part of the millisecond into `found`: Mava's count of it, the ids seen
    in it, and whether that is all of them."""
    page = await mava.fetch_tickets(part, limit=page_size, skip=0)
    found.add(page)
    ids = _ids(page)
    if not page.pagination.has_more:
        return page.count, ids, True
    if splits:
        whole = True
        for sub in splits[0](part):
            _, sub_ids, sub_whole = await _read_part(mava, sub, found, splits[1:], page_size)
            ids |= sub_ids
            whole = whole and sub_whole
        if whole and len(ids) + found.anonymous >= page.count:
            return page.count, ids, True
        # A value outside the ones we split by, or a part still over a page: offsets.
    complete = await _by_offsets(mava, part, found, ids, page.count, page_size)
    return page.count, ids, complete


async def _by_offsets(
    mava: Pages, part: TicketQuery, found: _Found, ids: set[str], count: int, page_size: int
) -> bool:
    """Offsets over one part, again while tickets Mava counts for it are unseen."""
    for _ in range(INSTANT_READS):
        for skip in range(0, count, page_size):
            page = await mava.fetch_tickets(part, limit=page_size, skip=skip)
            found.add(page)
            ids |= _ids(page)
        if len(ids) + found.anonymous >= count:
            return True
    return False


def rank(ticket: Ticket) -> int | None:
    """The priority as a number (an unknown number still counts); None otherwise."""
    value = ticket.priority
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return int(value)


async def at_or_above(
    mava: Pages, query: TicketQuery, threshold: int, *, page_size: int = PAGE_SIZE
) -> AsyncIterator[TicketPage]:
    """Pages holding every ticket of `query` whose priority is a number or a word
    >= `threshold` (and maybe others: callers filter)."""
    ranked = replace(query, sort_by=SortBy.PRIORITY, sort_order=SortOrder.DESC)
    first = await mava.fetch_tickets(ranked, limit=page_size, skip=0)
    yield first
    if not first.pagination.has_more or not first.tickets:
        return
    if any((r := rank(t)) is not None and r < threshold for t in first.tickets):
        if _words_above_numbers(first.tickets):
            return  # numbers and words at or above the cut-off: all on this page
        lowest = replace(ranked, sort_order=SortOrder.ASC)
        bottom = await mava.fetch_tickets(lowest, limit=page_size, skip=0)
        yield bottom
        if not bottom.pagination.has_more or any(rank(t) is not None for t in bottom.tickets):
            return  # everything sorting below the numbers was on that page
    async for page in pages_by_created(mava, query, page_size=page_size):
        yield page


def _words_above_numbers(tickets: list[Ticket]) -> bool:
    """Whether a priority that is neither a number nor null comes before a number."""
    for ticket in tickets:
        if rank(ticket) is not None:
            return False
        if ticket.priority is not None:
            return True
    return False
