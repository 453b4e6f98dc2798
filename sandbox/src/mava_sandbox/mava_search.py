"""GET /api/tickets in the Mava sandbox: the query, filters, sorting and paging."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mava_sandbox.mava_dashboard import DashboardMixin
from mava_sandbox.mava_rules import (
    NO_RATING,
    SORT_FIELDS,
    UNASSIGNED,
    bad_request,
    one_year_after,
    parse_iso,
    ticket_created,
)
from mava_sandbox.mava_seed import (
    PRIORITIES,
    TicketRecord,
)

# --- GET /api/tickets query ------------------------------------------------------


@dataclass(frozen=True)
class TicketQuery:
    start: datetime
    end: datetime
    limit: int = 50
    skip: int = 0
    statuses: frozenset[str] | None = None
    assignees: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    tags: frozenset[str] | None = None
    csat: frozenset[str] | None = None
    origins: frozenset[str] | None = None
    sort_by: str = "createdAt"
    sort_order: str = "desc"
    include_messages: bool = False


_INTEGER = re.compile(r"^-?\d+$")


def _one(params: dict[str, list[str]], name: str, error: str) -> str | None:
    """A single-valued parameter; empty means absent, a repeat is ambiguous."""
    values = [v for v in params.get(name, []) if v != ""]
    if len(values) > 1:
        raise bad_request(error)
    return values[0] if values else None


def _many(params: dict[str, list[str]], name: str) -> frozenset[str] | None:
    values = frozenset(v for v in params.get(name, []) if v != "")
    return values or None


def _int_param(params: dict[str, list[str]], name: str, default: int, error: str) -> int:
    text = _one(params, name, error)
    if text is None:
        return default
    if not _INTEGER.match(text):
        raise bad_request(error)
    return int(text)


def parse_ticket_query(pairs: Iterable[tuple[str, str]]) -> TicketQuery:
    """Validate GET /api/tickets parameters in the documented order of errors."""
    params: dict[str, list[str]] = {}
    for key, value in pairs:
        params.setdefault(key, []).append(value)

    start_text = _one(params, "startDate", "INVALID_DATE_RANGE")
    end_text = _one(params, "endDate", "INVALID_DATE_RANGE")
    if start_text is None or end_text is None:
        raise bad_request("MISSING_DATE_RANGE")
    start, end = parse_iso(start_text), parse_iso(end_text)
    if start is None or end is None or end <= start or end > one_year_after(start):
        raise bad_request("INVALID_DATE_RANGE")

    limit = _int_param(params, "limit", 50, "INVALID_LIMIT")
    if not 1 <= limit <= 100:
        raise bad_request("INVALID_LIMIT")
    skip = _int_param(params, "skip", 0, "INVALID_SKIP")
    if skip < 0:
        raise bad_request("INVALID_SKIP")
    sort_by = _one(params, "sortBy", "UNSUPPORTED_SORT_FIELD") or "createdAt"
    if sort_by not in SORT_FIELDS:
        raise bad_request("UNSUPPORTED_SORT_FIELD")
    sort_order = _one(params, "sortOrder", "UNSUPPORTED_SORT_ORDER") or "desc"
    if sort_order not in ("asc", "desc"):
        raise bad_request("UNSUPPORTED_SORT_ORDER")
    include = params.get("includeMessages", ["false"])[-1].lower() in ("true", "1")

    return TicketQuery(
        start=start,
        end=end,
        limit=limit,
        skip=skip,
        statuses=_many(params, "status"),
        assignees=_many(params, "assignedTo"),
        categories=_many(params, "category"),
        tags=_many(params, "tags"),
        csat=_many(params, "csatValues"),
        origins=_many(params, "origin"),
        sort_by=sort_by,
        sort_order=sort_order,
        include_messages=include,
    )


class TicketSearchMixin(DashboardMixin):
    """Search: filter, sort (with the undocumented corners) and page."""

    # --- GET /api/tickets -----------------------------------------------------------

    def list_tickets(self, query: TicketQuery) -> dict[str, Any]:
        if self.churn and query.skip > 0:
            self._churn(query.start)
        matching = self.select(query)
        page = matching[query.skip : query.skip + query.limit]
        return {
            "tickets": [self.ticket_json(t, include_messages=query.include_messages) for t in page],
            "count": len(matching),
            "pagination": {
                "limit": query.limit,
                "skip": query.skip,
                "hasMore": query.skip + len(page) < len(matching),
            },
        }

    def select(self, query: TicketQuery) -> list[TicketRecord]:
        """Every ticket matching the query, in the requested order."""
        low = bisect_left(self.tickets, query.start, key=ticket_created)
        high = bisect_left(self.tickets, query.end, key=ticket_created)
        checks = self._filters(query)
        found = [t for t in self.tickets[low:high] if all(check(t) for check in checks)]
        descending = query.sort_order == "desc"
        if self.random_ties:
            self._rng.shuffle(found)
            return sorted(found, key=self._sort_key(query.sort_by), reverse=descending)
        if query.sort_by == "createdAt":
            return found[::-1] if descending else found
        # Stable sorts: ties keep createdAt desc, _id desc, so pages never overlap.
        return sorted(found[::-1], key=self._sort_key(query.sort_by), reverse=descending)

    def _filters(self, query: TicketQuery) -> list[Callable[[TicketRecord], bool]]:
        checks: list[Callable[[TicketRecord], bool]] = []
        if (statuses := query.statuses) is not None:
            checks.append(lambda t: t["status"] in statuses)
        if (origins := query.origins) is not None:
            checks.append(lambda t: t["sourceType"] in origins)
        if (categories := query.categories) is not None:
            checks.append(lambda t: t["category"] in categories)
        if (tags := query.tags) is not None:
            checks.append(lambda t: not tags.isdisjoint(t["tags"]))
        if (assignees := query.assignees) is not None:
            unassigned = UNASSIGNED in assignees
            checks.append(
                lambda t: t["assignedTo"] in assignees or (unassigned and t["assignedTo"] is None)
            )
        if (csat := query.csat) is not None:
            checks.append(
                lambda t: (NO_RATING in csat) if t["csat"] is None else str(t["csat"]) in csat
            )
        return checks

    def _sort_key(self, sort_by: str) -> Callable[[TicketRecord], Any]:
        """Key for one sort field; missing values (null) sort lowest."""

        def named(lookup: dict[str, Any], key: str) -> Callable[[TicketRecord], Any]:
            def by_name(ticket: TicketRecord) -> tuple[int, str, str]:
                item = lookup.get(ticket[key] or "")
                return (0, "", "") if item is None else (1, item.name.casefold(), item.id)

            return by_name

        if sort_by == "assignedTo":
            return named(self.agents, "assignedTo")
        if sort_by == "category":
            return named(self.categories, "category")
        if sort_by == "priority":
            return self._priority_key
        if sort_by == "resolutionTime":
            return lambda t: (0, 0) if t[sort_by] is None else (1, t[sort_by])
        return lambda t: t[sort_by]

    def _priority_key(self, ticket: TicketRecord) -> tuple[int, Any]:
        """Ascending key: null lowest (or highest), words just below or just above
        the numbers (`strings_sort`), numbers."""
        served = self.served_priority(ticket)
        if served is None:
            return (-1 if self.null_priorities == "last" else 3, "")
        if isinstance(served, str):
            return (2 if self.strings_sort == "first" else 0, served)
        return (1, served)

    def _churn(self, since: datetime) -> None:
        """Between two pages: resolve `churn` open tickets created since `since` (the
        search's start), create `churn` new open ones (random priority, created now)."""
        low = bisect_left(self.tickets, since, key=ticket_created)
        candidates = [t for t in self.tickets[low:] if t["status"] != "Resolved"]
        for ticket in self._rng.sample(candidates, min(self.churn, len(candidates))):
            self.update(ticket["_id"], status="Resolved")
        for _ in range(self.churn):
            self.add_ticket(status="Open", priority=self._rng.choice((None, *PRIORITIES)))
