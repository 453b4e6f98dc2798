"""Response-time targets (SLA) per priority, and the clocks an open ticket runs against
them: first response (until an agent first answers), next reply (the waiting period of
domain.waiting) and resolution. A clock is named by its target and start, so a new
waiting period is a new clock. A warning is due at `WARN_AT` of a target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Any, Final

from mava_bridge.domain.business_hours import BusinessHours, Pause, deadlines
from mava_bridge.domain.waiting import Ticket, first_response_owed, waiting_period_start
from mava_bridge.domain.wording import duration

FIRST_RESPONSE: Final = "first-response"
NEXT_REPLY: Final = "next-reply"
RESOLUTION: Final = "resolution"
TARGETS: Final = (FIRST_RESPONSE, NEXT_REPLY, RESOLUTION)
PRIORITIES: Final = ("high", "medium", "low")
_BY_VALUE: Final = {3: "high", 2: "medium", 1: "low"}
WARN_AT: Final = 0.8
WARNING: Final = "warning"
BREACH: Final = "breach"


@dataclass(frozen=True)
class Policy:
    """Targets: priority name -> target name -> seconds."""

    targets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    hours: BusinessHours = field(default_factory=BusinessHours)

    def target(self, priority: int | None, target: str) -> int | None:
        name = _BY_VALUE.get(priority or 2, "medium")  # none, or one Mava adds: medium
        return self.targets.get(name, {}).get(target)

    def describe(self) -> list[str]:
        """Plain lines: each priority's targets, then the hours."""
        lines = []
        for name in PRIORITIES:
            found = self.targets.get(name) or {}
            said = [f"{t.replace('-', ' ')} {duration(found[t])}" for t in TARGETS if t in found]
            lines.append(f"{name.capitalize()}: {', '.join(said) or 'no targets'}")
        lines.append(f"Business hours: {self.hours.describe()}")
        return lines

    def with_targets(self, priorities: Sequence[str], targets: Mapping[str, int]) -> Policy:
        """These priorities' targets replaced by `targets` (one not named: none)."""
        merged = {name: dict(found) for name, found in self.targets.items()}
        merged.update({name: dict(targets) for name in priorities})
        return replace(self, targets=merged)

    def to_json(self) -> dict[str, Any]:
        hours = self.hours
        return {
            "targets": {k: dict(v) for k, v in self.targets.items()},
            "hours": None
            if hours.start is None or hours.end is None
            else {
                "days": sorted(hours.days),
                "start": hours.start.strftime("%H:%M"),
                "end": hours.end.strftime("%H:%M"),
                "zone": hours.zone,
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policy:
        targets = {
            str(name): {str(k): int(v) for k, v in found.items() if k in TARGETS}
            for name, found in (data.get("targets") or {}).items()
            if name in PRIORITIES
        }
        raw = data.get("hours")
        hours = BusinessHours()
        if raw:
            hours = BusinessHours(
                frozenset(int(d) for d in raw["days"]),
                time.fromisoformat(raw["start"]),
                time.fromisoformat(raw["end"]),
                str(raw["zone"]),
            )
        return cls(targets, hours)


@dataclass(frozen=True)
class Clock:
    """One target's clock on a ticket: which target, and since when it runs."""

    target: str
    started: datetime

    @property
    def key(self) -> str:
        """Names this clock for good: "next-reply@2026-03-15T10:00:00+00:00"."""
        return f"{self.target}@{self.started.isoformat()}"


def clocks(ticket: Ticket) -> list[Clock]:
    found = [Clock(RESOLUTION, ticket.created_at)]
    owed = first_response_owed(ticket)
    if owed is not None:
        found.insert(0, Clock(FIRST_RESPONSE, owed))
    else:
        since = waiting_period_start(ticket)
        if since is not None:
            found.insert(0, Clock(NEXT_REPLY, since))
    return found


@dataclass(frozen=True)
class Due:
    """A clock past a level: the warning (`WARN_AT` of the target) or the breach."""

    clock: Clock
    level: str
    target_seconds: int
    at: datetime  # when the level was reached


def due(
    clock: Clock,
    target_seconds: int,
    hours: BusinessHours,
    now: datetime,
    pauses: Sequence[Pause] = (),
) -> Due | None:
    """The highest level this clock has reached by `now` (a breach makes its warning
    moot); None if neither."""
    if (now - clock.started).total_seconds() < WARN_AT * target_seconds:
        return None  # the running clock never outpaces the wall clock: no walk needed
    warn, breach = deadlines(
        hours, clock.started, [WARN_AT * target_seconds, target_seconds], pauses
    )
    if breach is not None and breach <= now:
        return Due(clock, BREACH, target_seconds, breach)
    if warn is not None and warn <= now:
        return Due(clock, WARNING, target_seconds, warn)
    return None
