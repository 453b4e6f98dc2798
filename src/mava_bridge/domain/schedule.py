"""When a digest is posted: a `Schedule` is a kind plus a normalised crontab string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from mava_bridge.domain.cron import crontab_weekdays, normalize_cron

ScheduleKind = Literal["daily", "weekdays", "weekly", "cron"]


@dataclass(frozen=True)
class Schedule:
    """`cron` is a normalised crontab, weekdays as names (domain.cron says why)."""

    kind: ScheduleKind
    cron: str

    @classmethod
    def daily(cls, hour: int, minute: int) -> Schedule:
        return cls("daily", f"{minute} {hour} * * *")

    @classmethod
    def weekdays(cls, hour: int, minute: int) -> Schedule:
        return cls("weekdays", f"{minute} {hour} * * mon-fri")

    @classmethod
    def weekly(cls, hour: int, minute: int) -> Schedule:
        return cls("weekly", f"{minute} {hour} * * mon")

    @classmethod
    def from_cron(cls, expr: str) -> Schedule:
        return cls("cron", normalize_cron(expr))

    def describe(self) -> str:
        """E.g. "weekdays at 09:30"."""
        fields = self.cron.split()
        if self.kind in ("daily", "weekdays", "weekly") and len(fields) == 5:
            minute, hour = fields[0], fields[1]
            if minute.isdigit() and hour.isdigit():
                kind = "Mondays" if self.kind == "weekly" else self.kind
                return f"{kind} at {int(hour):02d}:{int(minute):02d}"
        return f"on cron schedule {self.cron}"


DEFAULT_DIGEST_SCHEDULE: Final = Schedule.weekdays(9, 0)


def schedule_from_cron(cron: str) -> Schedule:
    """The `Schedule` a stored or configured crontab stands for, with numeric weekdays
    turned into names (0 = Sunday, as in crontab)."""
    fields = cron.split()
    if len(fields) == 5 and fields[4] not in ("*", "?"):
        fields[4] = crontab_weekdays(fields[4])
    normalised = " ".join(fields)
    if len(fields) == 5 and fields[0].isdigit() and fields[1].isdigit():
        minute, hour = int(fields[0]), int(fields[1])
        if fields[2:] == ["*", "*", "*"]:
            return Schedule.daily(hour, minute)
        if fields[2:] == ["*", "*", "mon-fri"]:
            return Schedule.weekdays(hour, minute)
        if fields[2:] == ["*", "*", "mon"]:
            return Schedule.weekly(hour, minute)
    return Schedule("cron", normalised)
