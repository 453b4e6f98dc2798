"""Crontab expressions run by APScheduler with crontab's meaning kept.

APScheduler 3.x numbers weekdays 0 = Monday, crontab 0 (and 7) = Sunday, so weekdays
always become names before a trigger sees them. Crontab runs when EITHER a restricted
day of month OR day of week matches (APScheduler: both must): an `OrTrigger`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from mava_bridge.domain.wording import shown

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbering: 0 = Sunday


@dataclass(frozen=True)
class _Field:
    what: str
    low: int
    high: int
    names: dict[str, int]


_MINUTE = _Field("minute", 0, 59, {})
_HOUR = _Field("hour", 0, 23, {})
_DAY = _Field("day of month", 1, 31, {})
_MONTH = _Field("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)})
_WEEKDAY = _Field("day of week", 0, 7, {d: i for i, d in enumerate(_DAYS)})
_FIELDS = (_MINUTE, _HOUR, _DAY, _MONTH, _WEEKDAY)
_CRON_PART = re.compile(r"^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:/([0-9]+))?$")


def _field_values(part: str, field: _Field, *, strict: bool) -> range:
    """The values one comma-separated part of a cron field stands for. `strict` (typed in
    Slack) also refuses numbers of over two digits and steps larger than their range."""
    what, low, high = field.what, field.low, field.high
    match = _CRON_PART.match(part)
    if match is None:
        raise ValueError(f"'{shown(part)}' is not valid in the {what} field.")
    span, step_text = match.groups()

    def number(text: str) -> int:
        value = field.names.get(text)
        if value is None:
            if not text.isdigit() or (strict and len(text) > 2):
                raise ValueError(f"'{shown(text)}' is not valid in the {what} field.")
            value = int(text)
        if not low <= value <= high:
            raise ValueError(f"{what.capitalize()} must be between {low} and {high}.")
        return value

    if span == "*":
        start, end = low, high
    elif "-" in span:
        first, last = span.split("-", 1)
        start, end = number(first), number(last)
        if start > end:
            raise ValueError(f"The range {span} in the {what} field runs backwards.")
    else:
        start = end = number(span)
        if step_text is not None:  # `5/15` means from 5 to the end, every 15
            end = high
    step = 1
    if step_text is not None:
        step = int(step_text[:4]) if strict else int(step_text)
        if step < 1:
            raise ValueError(f"The step in the {what} field must be at least 1.")
        if strict and step > end - start:
            raise ValueError(f"The step in '{shown(part)}' is larger than its range.")
    return range(start, end + 1, step)


def _weekdays(field: str, *, strict: bool) -> set[int]:
    """Crontab weekday numbers (0 = Sunday) a day-of-week field stands for."""
    days: set[int] = set()
    for part in field.split(","):
        days.update(day % 7 for day in _field_values(part, _WEEKDAY, strict=strict))
    return days


def _day_names(days: set[int], *, sunday_in_runs: bool) -> str:
    """Weekdays as names, Monday first; runs of three or more become ranges (`mon-fri`).
    Sunday ends a run only `sunday_in_runs` (APScheduler's order), else it comes last."""
    if days == set(range(7)):
        return "*"
    order: list[int | None] = [1, 2, 3, 4, 5, 6, *([0] if sunday_in_runs else []), None]
    parts: list[str] = []
    run: list[int] = []
    for day in order:
        if day is not None and day in days:
            run.append(day)
            continue
        if len(run) >= 3:
            parts.append(f"{_DAYS[run[0]]}-{_DAYS[run[-1]]}")
        else:
            parts.extend(_DAYS[d] for d in run)
        run = []
    if not sunday_in_runs and 0 in days:
        parts.append("sun")
    return ",".join(parts)


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday; names, ranges, lists, steps) as
    APScheduler day names, e.g. `1-5` -> `mon-fri`, `0,6` -> `sat,sun`, `*` -> `*`."""
    field = field.strip().lower()
    if field in ("*", "?"):
        return "*"
    return _day_names(_weekdays(field, strict=False), sunday_in_runs=True)


def normalize_cron(expr: str) -> str:
    """A crontab typed in Slack, normalised (lower case, single spaces, weekdays as names,
    months as numbers); ValueError with a sentence fit for Slack."""
    fields = expr.lower().split()
    if len(fields) != 5:
        raise ValueError(
            f"A cron schedule has 5 fields (minute hour day-of-month month day-of-week); "
            f"'{shown(expr)}' has {len(fields)}."
        )
    for text, field in zip(fields, _FIELDS, strict=True):
        for part in text.split(","):
            _field_values(part, field, strict=True)
    if fields[2] != "*" and fields[4] != "*":
        # crontab runs when EITHER matches, APScheduler only when BOTH do.
        raise ValueError("Restrict the day of month or the day of week, not both.")
    if fields[4] != "*":
        fields[4] = _day_names(_weekdays(fields[4], strict=True), sunday_in_runs=False)
    # Month names as numbers: APScheduler takes `jan-jun` but not `jan-jun/2`.
    fields[3] = re.sub(r"[a-z]+", lambda m: str(_MONTH.names[m.group(0)]), fields[3])
    return " ".join(fields)


def cron_trigger(cron: str, timezone: str) -> CronTrigger | OrTrigger:
    """The trigger for a 5-field crontab expression in `timezone`, with crontab's meaning."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"a crontab has 5 fields, '{cron}' has {len(fields)}")
    minute, hour, day, month, weekday = fields
    zone = ZoneInfo(timezone)
    common: dict[str, Any] = {"minute": minute, "hour": hour, "month": month, "timezone": zone}
    day_restricted = day not in ("*", "?")
    weekday_restricted = weekday not in ("*", "?")
    if day_restricted and weekday_restricted:
        return OrTrigger(
            [
                CronTrigger(day=day, **common),
                CronTrigger(day_of_week=crontab_weekdays(weekday), **common),
            ]
        )
    return CronTrigger(
        day=day if day_restricted else "*", day_of_week=crontab_weekdays(weekday), **common
    )


def last_fire_time(trigger: BaseTrigger, now: datetime, within: timedelta) -> datetime | None:
    """The latest fire time in (now - within, now], or None: the run a late job stands for."""
    latest: datetime | None = None
    after = now - within + timedelta(microseconds=1)
    for _ in range(10_000):
        fire = trigger.get_next_fire_time(latest, after)
        if fire is None or fire > now:
            break
        latest, after = fire, fire + timedelta(microseconds=1)
    return latest
