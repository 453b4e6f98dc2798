"""The Mava searches digests and alerts run. Mava filters status, assignee and origin;
the rest of a subscription's `Filters` is checked here (`Filters.matches`). Equal
filters give equal, hashable `TicketQuery` values (the window is set per poll), so
subscriptions sharing one share one request per poll.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.tickets import OPEN_STATUSES
from mava_bridge.mava.models import UNASSIGNED, SortBy, SortOrder
from mava_bridge.mava.query import TicketQuery

# How far back alerts look for tickets raised to the priority threshold after creation.
ALERT_LOOKBACK: Final = timedelta(days=30)
# Digests search a year at a time (Mava's most), newest first, until a year holds no
# open matching ticket (a backlog is continuous in practice) or DIGEST_MAX_YEARS.
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
    """With a priority threshold: highest priority first, so paging can stop below the
    group's lowest threshold; without: newest first."""
    sort_by = SortBy.PRIORITY if filters.min_priority is not None else SortBy.CREATED_AT
    return _server_side(filters, sort_by, include_messages=True)


def digest_query(filters: Filters, now: datetime, years_back: int = 0) -> TicketQuery:
    """Open tickets created in the year `years_back` years before the last one."""
    query = _server_side(filters, SortBy.CREATED_AT, include_messages=True)
    end = now + CLOCK_SKEW - years_back * DIGEST_LOOKBACK
    return query.with_window(end - DIGEST_LOOKBACK, end)
