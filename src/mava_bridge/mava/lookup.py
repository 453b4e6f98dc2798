"""Finding one ticket by id, exactly when we can and cheaply when we cannot.

Mava has no fetch-one endpoint: a ticket is searched for between two dates (most likely
of `createdAt`), and imported tickets are created long before or after the time in
their id. So:

- **Seen before** (`TicketMemory` knows its `createdAt`): one request, `EXACT` either
  side of it, with messages if asked.
- **Not seen**: windows around the time in the id, without messages, widened only on a
  miss (`MARGINS`: ±2 minutes, ±2 days, ±60 days, each wider ring as its earlier and its
  later half); once found, one exact request with its messages.
- **Not within ±60 days**: `TicketNotFoundNear` (a year-wide search can cost dozens of
  pages). **Returned but unreadable**: `TicketUnreadable`; if only the version with
  messages is, the ticket is shown without them. The caller adds the dashboard link.

The client remembers every page read, so the next look-up of any ticket on it is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final, Protocol

from mava_bridge.domain import ticket_refs
from mava_bridge.mava import errors
from mava_bridge.mava.keyset import Pages, millisecond, read_instant
from mava_bridge.mava.models import SortOrder, Ticket, TicketPage
from mava_bridge.mava.query import PAGE_SIZE, TicketQuery

# Either side of a remembered createdAt: covers an inclusive or exclusive bound.
EXACT: Final = timedelta(seconds=1)
MARGINS: Final = (timedelta(minutes=2), timedelta(days=2), timedelta(days=60))
_MS: Final = timedelta(milliseconds=1)


class TicketMemory(Protocol):
    """id -> createdAt of tickets read before (mava_bridge.store.seen)."""

    async def remember(self, seen: Sequence[tuple[str, datetime]]) -> None: ...

    async def created_at(self, ticket_id: str) -> datetime | None: ...


class Counting:
    """`pages` as a look-up pages it, each request counted in `requests` (for a budget)."""

    def __init__(self, pages: Pages) -> None:
        self._pages = pages
        self.requests = 0

    async def fetch_tickets(
        self, query: TicketQuery, *, limit: int = 50, skip: int = 0
    ) -> TicketPage:
        self.requests += 1
        return await self._pages.fetch_tickets(query, limit=limit, skip=skip)


class TicketNotFoundNear(errors.TicketNotFound):
    """Not within `days` days of the time in its id: we stopped looking."""

    def __init__(self, ticket_id: str, days: int, link: str | None = None) -> None:
        super().__init__(ticket_id)
        self.days = days
        where = (
            f"check the id, or open it in Mava from its dashboard link: {link}"
            if link
            else "check the id, or paste the ticket's dashboard link"
        )
        self.user_message = (
            f"Ticket {ticket_id} was not found in Mava within {days} days of the time in "
            f"its id — {where}"
        )
        self.args = (self.user_message,)

    def with_link(self, link: str) -> TicketNotFoundNear:
        return TicketNotFoundNear(self.ticket_id or "", self.days, link)


class TicketUnreadable(errors.MavaError):
    """Mava returned the ticket, but in a shape we cannot read (`models.TicketPageReader`)."""

    def __init__(self, ticket_id: str, problems: str, link: str | None = None) -> None:
        where = f"open it in Mava: {link}" if link else "open it in Mava from its dashboard"
        super().__init__(
            f"Ticket {ticket_id} was found in Mava, but it could not be read ({problems}), "
            f"so it cannot be shown here — {where}"
        )
        self.ticket_id = ticket_id
        self.problems = problems

    def with_link(self, link: str) -> TicketUnreadable:
        return TicketUnreadable(self.ticket_id, self.problems, link)


def rings(born: datetime) -> list[tuple[datetime, datetime]]:
    """The windows searched for an id made at `born`, in order (a ring's earlier half
    first: imported tickets are usually created before their id)."""
    first = MARGINS[0]
    windows = [(born - first, born + first)]
    for inner, outer in pairwise(MARGINS):
        windows.append((born - outer, born - inner + EXACT))
        windows.append((born + inner - EXACT, born + outer))
    return windows


async def find_ticket(
    pages: Pages,
    ticket_id: str,
    *,
    known: datetime | None,
    include_messages: bool = True,
) -> Ticket:
    """The ticket `ticket_id`; `known` is its createdAt if seen before. Raises
    `TicketUnreadable` if Mava returned it unreadable, `TicketNotFoundNear` if not."""
    if known is not None:
        found = await _exactly(pages, ticket_id, known, include_messages)
        if found is not None:
            return found
    born = ticket_refs.created_at(ticket_id)
    for start, end in rings(born):
        query = TicketQuery(start=start, end=end, sort_order=SortOrder.ASC)
        bare = await _search(pages, query, ticket_id)
        if bare is None:
            continue
        if not include_messages:
            return bare
        try:
            full = await _search(pages, _exact(bare.created_at, True), ticket_id)
        except TicketUnreadable:
            return bare  # only its messages cannot be read: show the rest
        return full or bare
    raise TicketNotFoundNear(ticket_id, MARGINS[-1].days)


async def _exactly(
    pages: Pages, ticket_id: str, created: datetime, include_messages: bool
) -> Ticket | None:
    try:
        return await _search(pages, _exact(created, include_messages), ticket_id)
    except TicketUnreadable:
        if not include_messages:
            raise
    # Unreadable with its messages: it may read without them (one more request).
    return await _search(pages, _exact(created, False), ticket_id)


def _exact(created: datetime, include_messages: bool) -> TicketQuery:
    return TicketQuery(
        start=created - EXACT,
        end=created + EXACT,
        sort_order=SortOrder.ASC,
        include_messages=include_messages,
    )


async def _search(pages: Pages, query: TicketQuery, ticket_id: str) -> Ticket | None:
    """`ticket_id` from the pages of `query` (oldest first), read until it is found.

    After a full page the next starts again at the newest millisecond it held (1 ms
    earlier: startDate may be inclusive or not), so tie order and churn cannot shift a
    ticket past us. A page that cannot move the start on (a bulk import) is never
    followed by offset: each of its milliseconds is read whole (`read_instant`)."""
    whole: set[datetime] = set()  # milliseconds read by `read_instant`
    skip = 0
    while True:
        page = await pages.fetch_tickets(query, limit=PAGE_SIZE, skip=skip)
        found = _in(page, ticket_id)
        if found is not None or not page.pagination.has_more:
            return found
        if not page.tickets:
            if not page.skipped:
                return None
            skip += PAGE_SIZE  # a page of only unreadable tickets: no time to go on from
            continue
        skip = 0
        newest = millisecond(max(t.created_at for t in page.tickets))
        if newest - _MS > query.start:
            query = query.with_window(newest - _MS, query.end)
            continue
        for moment in sorted({millisecond(t.created_at) for t in page.tickets} - whole):
            whole.add(moment)
            found = _in(await read_instant(pages, query, moment), ticket_id)
            if found is not None:
                return found
        # On past `newest`: from it if startDate is exclusive; a page from it that
        # still holds it proves startDate inclusive, and the next starts 1 ms later.
        start = newest if newest > query.start else newest + _MS
        if start >= query.end:
            return None
        query = query.with_window(start, query.end)


def _in(page: TicketPage, ticket_id: str) -> Ticket | None:
    for ticket in page.tickets:
        if ticket.id == ticket_id:
            return ticket
    if ticket_id in page.unreadable:
        raise TicketUnreadable(ticket_id, page.unreadable[ticket_id])
    return None
