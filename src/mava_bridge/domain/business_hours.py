"""The clock response-time targets run on: business hours (days and one daily window in
a zone, or always), minus pauses. Windows follow the wall clock across DST; intervals are
compared in UTC only (aware datetimes of one zone subtract by wall clock in Python)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALL_DAYS: Final = frozenset(range(7))
FOREVER: Final = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)
MAX_DAYS: Final = 3 * 366  # a walk looks this far ahead at most (a pause of years: no due)

Pause = tuple[datetime, datetime | None]  # from, until (None: still paused)


@dataclass(frozen=True)
class BusinessHours:
    """`start`/`end` None: always; else `days` (0 = Monday) from `start` to `end`."""

    days: frozenset[int] = ALL_DAYS
    start: time | None = None
    end: time | None = None
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if (self.start is None) != (self.end is None):
            raise ValueError("Give both the start and the end of the day.")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("The day must end after it starts (e.g. 09:00-18:00).")
        if not self.days:
            raise ValueError("Name at least one day.")
        zone_of(self.zone)

    def describe(self) -> str:
        if self.start is None or self.end is None:
            return "always (every hour of every day)"
        return f"{describe_days(self.days)} {self.start:%H:%M}-{self.end:%H:%M} ({self.zone})"

    def windows(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The business windows from `since` on, in UTC, the first cut at `since`."""
        since = since.astimezone(UTC)
        if self.start is None or self.end is None:
            yield since, FOREVER
            return
        zone = zone_of(self.zone)
        day: date = since.astimezone(zone).date()
        for _ in range(MAX_DAYS):
            if day.weekday() in self.days:
                opens = datetime.combine(day, self.start, zone).astimezone(UTC)
                closes = datetime.combine(day, self.end, zone).astimezone(UTC)
                if closes > since and closes > opens:
                    yield max(opens, since), closes
            day += timedelta(days=1)


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{name[:40]}' is not a time zone (e.g. Europe/Berlin).") from None


def describe_days(days: frozenset[int]) -> str:
    """mon-fri, sat-sun, mon,wed,fri, every day."""
    if days == ALL_DAYS:
        return "every day"
    ordered = sorted(days)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 1:
        return f"{DAYS[ordered[0]]}-{DAYS[ordered[-1]]}"
    return ",".join(DAYS[d] for d in ordered)


def _merged(pauses: Sequence[Pause]) -> list[tuple[datetime, datetime]]:
    spans = sorted((a.astimezone(UTC), (b or FOREVER).astimezone(UTC)) for a, b in pauses)
    merged: list[tuple[datetime, datetime]] = []
    for a, b in spans:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def running(
    hours: BusinessHours, start: datetime, pauses: Sequence[Pause] = ()
) -> Iterator[tuple[datetime, datetime]]:
    """The intervals from `start` on in which the clock runs: business windows with
    the pauses cut out, in order."""
    cuts = _merged(pauses)
    held = cuts[-1][0] if cuts and cuts[-1][1] >= FOREVER else FOREVER  # paused for now
    for opens, closes in hours.windows(start):
        if opens >= held:
            return
        at = opens
        for a, b in cuts:
            if b <= at or a >= closes:
                continue
            if a > at:
                yield at, a
            at = max(at, b)
            if at >= closes:
                break
        if at < closes:
            yield at, closes
        if at >= FOREVER:
            return


def deadlines(
    hours: BusinessHours, start: datetime, amounts: Sequence[float], pauses: Sequence[Pause] = ()
) -> list[datetime | None]:
    """For each amount of seconds (ascending), when the running clock reaches it: one
    walk for all. None: not within MAX_DAYS, or a pause that has not ended holds it."""
    found: list[datetime | None] = []
    used = 0.0
    wanted = iter(amounts)
    amount = next(wanted, None)
    for a, b in running(hours, start, pauses):
        while amount is not None:
            if b >= FOREVER or used + (b - a).total_seconds() >= amount:
                found.append(a + timedelta(seconds=amount - used))
                amount = next(wanted, None)
            else:
                break
        if amount is None:
            return found
        used += (b - a).total_seconds()
    return found + [None] * (len(amounts) - len(found))
