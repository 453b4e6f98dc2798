"""Which Mava searches digests and alerts run, and how subscriptions share them.

Mava's ticket search has no priority filter and takes category ids, not the names
people type, so a subscription's `Filters` become a search for what Mava can filter
(status, assignee, origin) plus a check of the rest on our side (`Filters.matches`).
Subscriptions whose searches are equal share one request per poll: `alert_query`
returns the search without its date window (the window changes every poll), so equal
filters give equal, hashable `TicketQuery` values to group by.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.tickets import OPEN_STATUSES
from mava_bridge.mava.models import UNASSIGNED, SortBy, SortOrder
from mava_bridge.mava.query import TicketQuery

# How far back alerts look for tickets that reached the priority threshold after they
# were created. A ticket raised to high priority when older than this is not alerted.
ALERT_LOOKBACK: Final = timedelta(days=30)
# Digests search one year at a time (Mava allows at most one year per search), newest
# year first, going back while a year still holds an open matching ticket: the first
# empty year ends the search (a backlog is continuous in practice: an account with no
# open ticket for a whole year and older ones still open would lose those), and never
# more than DIGEST_MAX_YEARS years back (the setting, default 5: an open ticket older
# than that is not listed). Cost: the pages of every non-empty year plus one request
# for the empty year that ends it.
DIGEST_LOOKBACK: Final = timedelta(days=365)
# Searches reach a little past "now" and a little before the watermark, so a ticket
# whose Mava timestamp is off from our clock is still seen (deduplicated by id).
CLOCK_SKEW: Final = timedelta(minutes=5)
POLL_OVERLAP: Final = timedelta(minutes=5)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _server_side(filters: Filters, sort_by: SortBy, include_messages: bool) -> TicketQuery:
    return TicketQuery(
        start=_EPOCH,
        end=_EPOCH,
        statuses=OPEN_STATUSES,
        assigned_to=(UNASSIGNED,) if filters.unassigned_only else (),
        origins=tuple(sorted(filters.origins)),
        sort_by=sort_by,
        sort_order=SortOrder.DESC,
        include_messages=include_messages,
    )


def alert_query(filters: Filters) -> TicketQuery:
    """The shared search shape for an alert subscription (window not yet set).

    With a priority threshold: open tickets, highest priority first, so the poller can
    stop paging once priority falls below the lowest threshold of the group. Without
    one: open tickets, newest first, from the watermark on.
    """
    sort_by = SortBy.PRIORITY if filters.min_priority is not None else SortBy.CREATED_AT
    return _server_side(filters, sort_by, include_messages=True)


def digest_query(filters: Filters, now: datetime, years_back: int = 0) -> TicketQuery:
    """Open tickets a digest with `filters` may show, with messages, created in the
    year `years_back` whole years before the latest one (0: the last year)."""
    query = _server_side(filters, SortBy.CREATED_AT, include_messages=True)
    end = now + CLOCK_SKEW - years_back * DIGEST_LOOKBACK
    return query.with_window(end - DIGEST_LOOKBACK, end)
