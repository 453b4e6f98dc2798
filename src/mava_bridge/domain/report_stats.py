"""A support report's numbers from plain facts about tickets, as the README defines
them: first response of the tickets created in the period, resolution and CSAT of those
resolved in it; p90 by nearest rank."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

NO_AGENT = "Unassigned"


@dataclass(frozen=True)
class TicketFacts:
    id: str
    origin: str
    agent: str  # the assignee's name, NO_AGENT when none
    created: datetime
    resolved: datetime | None  # createdAt + resolutionTime while Resolved
    first_response: float | None  # seconds; None: no agent answer yet
    csat: int | None


def median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return None
    middle = n // 2
    return ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def p90(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Group:
    created: int = 0
    resolved: int = 0
    first_response_median: float | None = None
    first_response_p90: float | None = None
    resolution_median: float | None = None
    resolution_p90: float | None = None
    csat_average: float | None = None
    csat_counts: dict[int, int] = field(default_factory=dict)  # value -> count


@dataclass(frozen=True)
class Day:
    day: date
    created: int
    resolved: int
    first_response_median: float | None  # of the tickets created that day


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    total: Group
    backlog: int  # open at the end of the period
    origins: dict[str, Group]
    agents: dict[str, Group]
    days: list[Day]
    sla_warnings: int | None = None  # given by the SLA part when it counts them
    sla_breaches: int | None = None


def _within(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def group(created: Sequence[TicketFacts], resolved: Sequence[TicketFacts]) -> Group:
    firsts = [t.first_response for t in created if t.first_response is not None]
    durations = [(t.resolved - t.created).total_seconds() for t in resolved if t.resolved]
    ratings = [t.csat for t in resolved if t.csat is not None]
    counts = {value: ratings.count(value) for value in sorted(set(ratings))}
    return Group(
        created=len(created),
        resolved=len(resolved),
        first_response_median=median(firsts),
        first_response_p90=p90(firsts),
        resolution_median=median(durations),
        resolution_p90=p90(durations),
        csat_average=sum(ratings) / len(ratings) if ratings else None,
        csat_counts=counts,
    )


def _by(
    key: Callable[[TicketFacts], str],
    created: Sequence[TicketFacts],
    resolved: Sequence[TicketFacts],
) -> dict[str, Group]:
    names = sorted({key(t) for t in (*created, *resolved)})
    return {
        name: group([t for t in created if key(t) == name], [t for t in resolved if key(t) == name])
        for name in names
    }


def days(
    created: Sequence[TicketFacts],
    resolved: Sequence[TicketFacts],
    start: datetime,
    end: datetime,
    zone: tzinfo,
) -> list[Day]:
    """One row per calendar day (in `zone`) the period touches, empty days included."""
    day = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    found: list[Day] = []
    while day <= last:
        made = [t for t in created if t.created.astimezone(zone).date() == day]
        shut = [t for t in resolved if t.resolved and t.resolved.astimezone(zone).date() == day]
        firsts = [t.first_response for t in made if t.first_response is not None]
        found.append(Day(day, len(made), len(shut), median(firsts)))
        day += timedelta(days=1)
    return found


def build(
    tickets: Iterable[TicketFacts], start: datetime, end: datetime, backlog: int, zone: tzinfo
) -> Report:
    """The report of [start, end) from every ticket read for it (each once)."""
    everything = list({t.id: t for t in tickets}.values())
    created = [t for t in everything if _within(t.created, start, end)]
    resolved = [t for t in everything if _within(t.resolved, start, end)]
    return Report(
        start=start,
        end=end,
        total=group(created, resolved),
        backlog=backlog,
        origins=_by(lambda t: t.origin, created, resolved),
        agents=_by(lambda t: t.agent, created, resolved),
        days=days(created, resolved, start, end, zone),
    )
