"""Reading a whole Mava search correctly whatever order Mava uses and however the list
changes while we read it.

Mava pages with `skip`, and its docs are silent on where tickets without a priority
sort, where a priority that is not a number sorts, how ties are ordered, and what
happens to offsets when tickets are created or resolved between two page requests.
So nothing here relies on any of that:

- `pages_by_created` (mava.keyset) reads a whole search newest first in keyset
  windows, whatever the tie order and however the list changes meanwhile.
- `at_or_above` (a priority threshold) asks for the first page sorted by priority,
  descending: one request is one consistent snapshot, so ties and churn cannot hurt
  it. If that page holds a *number* below the threshold, every numeric priority at or
  above it is on that page (a value that is not a number never ends the search). A
  priority given as a word ("high") may sort above the numbers or below them (Mava
  does not say; stores keep each type together). A word seen above a number on that
  page says "above": every word is on it too. Otherwise one more request, the first
  page sorted *ascending*, holds everything that sorts below the numbers, unless it
  holds no number at all. Whenever a first page cannot settle it (a page of
  candidates, or of nulls and words), it falls back to `pages_by_created` over the
  same window and checks priorities on our side.

Cost of `at_or_above`: 1 request when words are seen above the numbers or the search
fits one page; 2 when the cut-off is on the first page (the usual case); otherwise
those plus ceil(N/100) for the N tickets of the window.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.keyset import pages_by_created
from mava_bridge.mava.models import SortBy, SortOrder, Ticket, TicketPage
from mava_bridge.mava.query import PAGE_SIZE, TicketQuery


def rank(ticket: Ticket) -> int | None:
    """The priority as a number (an unknown number still counts); None otherwise."""
    value = ticket.priority
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return int(value)


async def at_or_above(
    mava: MavaClient, query: TicketQuery, threshold: int, *, page_size: int = PAGE_SIZE
) -> AsyncIterator[TicketPage]:
    """Pages holding every ticket of `query` whose priority is a number or a word
    >= `threshold` (and maybe others: callers filter). See the module docstring."""
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
