"""The search half of the Mava API: `TicketQuery`, the filters of GET /api/tickets as one
frozen value, and how it becomes query parameters."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from mava_bridge.mava.models import Origin, SortBy, SortOrder, Status

PAGE_SIZE: Final = 100  # Mava's maximum


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.astimezone(UTC).microsecond // 1000:03d}Z"
    )


@dataclass(frozen=True)
class TicketQuery:
    """The filters of GET /api/tickets. Frozen and hashable: equal queries can be shared."""

    start: datetime
    end: datetime
    statuses: tuple[Status, ...] = ()
    assigned_to: tuple[str, ...] = ()  # agent ids, or UNASSIGNED
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    csat: tuple[str, ...] = ()  # "1".."5", "no-rating"
    origins: tuple[Origin, ...] = ()
    sort_by: SortBy = SortBy.CREATED_AT
    sort_order: SortOrder = SortOrder.DESC
    include_messages: bool = False

    @classmethod
    def recent(cls, days: float = 365, now: datetime | None = None, **filters: Any) -> TicketQuery:
        """Tickets created in the last `days` (Mava allows at most one year per query)."""
        end = (now or datetime.now(UTC)) + timedelta(minutes=5)  # clock skew
        start = end - timedelta(days=min(days, 365))
        return cls(start=start, end=end, **filters)

    def with_window(self, start: datetime, end: datetime) -> TicketQuery:
        return replace(self, start=start, end=end)

    def params(self, limit: int, skip: int) -> list[tuple[str, str]]:
        params = [("startDate", _iso(self.start)), ("endDate", _iso(self.end))]
        for name, values in (
            ("status", self.statuses),
            ("assignedTo", self.assigned_to),
            ("category", self.categories),
            ("tags", self.tags),
            ("csatValues", self.csat),
            ("origin", self.origins),
        ):
            params.extend((name, str(value)) for value in values)
        params += [
            ("sortBy", str(self.sort_by)),
            ("sortOrder", str(self.sort_order)),
            ("limit", str(limit)),
            ("skip", str(skip)),
        ]
        if self.include_messages:
            params.append(("includeMessages", "true"))
        return params
