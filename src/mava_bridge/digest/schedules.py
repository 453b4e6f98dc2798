"""Digest schedules as APScheduler triggers, with crontab's meaning kept.

APScheduler 3.x numbers weekdays 0 = Monday, crontab 0 (and 7) = Sunday, so handing
`0 9 * * 1-5` to `CronTrigger.from_crontab` would run Tuesday to Saturday. Every
schedule goes through `digest_trigger`, which turns numeric weekdays into names first.
Crontab also runs a job when EITHER a restricted day of month OR a restricted day of
week matches (APScheduler: both must); that case becomes an `OrTrigger`.
Times are wall-clock times in the schedule's IANA zone, so 09:00 stays 09:00 across
daylight saving changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab: 0 = Sunday
_APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler order


class Trigger(Protocol):
    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...


def _weekday(text: str) -> int:
    if text in _CRON_DAYS:
        return _CRON_DAYS.index(text)
    if text.isdigit() and 0 <= int(text) <= 7:
        return int(text)
    raise ValueError(f"'{text}' is not a day of the week (0-7 or sun-sat)")


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday; names, ranges, lists, steps) as
    APScheduler day names, e.g. `1-5` -> `mon-fri`, `0,6` -> `sat,sun`, `*` -> `*`."""
    field = field.strip().lower()
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, slash, step_text = part.partition("/")
        step = int(step_text) if slash and step_text.isdigit() else 1
        if slash and (not step_text.isdigit() or step < 1):
            raise ValueError(f"'{part}' has an invalid step")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            low, high = span.split("-", 1)
            first, last = _weekday(low), _weekday(high)
            if first > last:
                raise ValueError(f"the weekday range '{span}' runs backwards")
        else:
            first = _weekday(span)
            last = 7 if slash else first
        days.update(day % 7 for day in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    # Render Monday first; runs of three or more become ranges (`mon-fri`, `fri-sun`).
    order = [(d + 1) % 7 for d in range(7)]  # crontab numbers in APScheduler order
    parts: list[str] = []
    run: list[int] = []
    for index, day in enumerate([*order, None]):
        if day is not None and day in days:
            run.append(index)
            continue
        if len(run) >= 3:
            parts.append(f"{_APS_DAYS[run[0]]}-{_APS_DAYS[run[-1]]}")
        else:
            parts.extend(_APS_DAYS[i] for i in run)
        run = []
    return ",".join(parts)


def digest_trigger(cron: str, timezone: str) -> CronTrigger | OrTrigger:
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
        day=day if day_restricted else "*",
        day_of_week=crontab_weekdays(weekday),
        **common,
    )


def next_fire_times(trigger: Trigger, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times strictly after `after` (for logs, previews and tests)."""
    return list(_fire_times(trigger, after, count))


def _fire_times(trigger: Trigger, after: datetime, count: int) -> Iterator[datetime]:
    previous: datetime | None = None
    now = after + timedelta(microseconds=1)
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            return
        yield fire
        previous, now = fire, fire + timedelta(microseconds=1)


def last_fire_time(trigger: Trigger, now: datetime, within: timedelta) -> datetime | None:
    """The latest fire time in (now - within, now], or None: the run a late job stands for."""
    latest: datetime | None = None
    for fire in _fire_times(trigger, now - within, 10_000):
        if fire > now:
            break
        latest = fire
    return latest
