"""Schedules and crontab rules: crontab's weekday meaning (0/7 = Sunday) on APScheduler,
day-of-month OR day-of-week, time zones and DST, and what `/mava` stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from mava_bridge.domain.cron import cron_trigger, crontab_weekdays, normalize_cron
from mava_bridge.domain.schedule import Schedule, schedule_from_cron

BERLIN = ZoneInfo("Europe/Berlin")


def next_fire_times(trigger: BaseTrigger, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times strictly after `after`, as APScheduler asks them."""
    fires: list[datetime] = []
    previous: datetime | None = None
    now = after + timedelta(microseconds=1)
    while len(fires) < count and (fire := trigger.get_next_fire_time(previous, now)):
        fires.append(fire)
        previous, now = fire, fire + timedelta(microseconds=1)
    return fires


# --- crontab weekdays ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crontab", "expected"),
    [
        ("1-5", "mon-fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("0,6", "sat,sun"),
        ("6,0", "sat,sun"),
        ("5-7", "fri-sun"),
        ("0-2", "mon,tue,sun"),
        ("*/2", "tue,thu,sat,sun"),
        ("1-5/2", "mon,wed,fri"),
        ("mon-fri", "mon-fri"),
        ("SUN", "sun"),
        ("0-7", "*"),
        ("*", "*"),
    ],
)
def test_crontab_weekdays_become_names(crontab: str, expected: str) -> None:
    assert crontab_weekdays(crontab) == expected


@pytest.mark.parametrize("bad", ["8", "5-1", "x", "1/0"])
def test_bad_weekdays_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        crontab_weekdays(bad)


def test_default_schedule_means_monday_to_friday() -> None:
    trigger = cron_trigger("0 9 * * 1-5", "UTC")
    friday_noon = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    fires = next_fire_times(trigger, friday_noon, 6)
    assert [f.strftime("%a %H:%M") for f in fires] == [
        "Mon 09:00",
        "Tue 09:00",
        "Wed 09:00",
        "Thu 09:00",
        "Fri 09:00",
        "Mon 09:00",
    ]


def test_sunday_zero_means_sunday() -> None:
    fires = next_fire_times(cron_trigger("30 8 * * 0", "UTC"), datetime(2026, 3, 2, tzinfo=UTC), 2)
    assert [f.strftime("%a %d %H:%M") for f in fires] == ["Sun 08 08:30", "Sun 15 08:30"]


def test_day_of_month_or_weekday_as_crontab_does() -> None:
    # crontab: the 1st of the month OR any Monday.
    trigger = cron_trigger("0 9 1 * 1", "UTC")
    fires = next_fire_times(trigger, datetime(2026, 5, 26, tzinfo=UTC), 3)
    assert [f.date().isoformat() for f in fires] == ["2026-06-01", "2026-06-08", "2026-06-15"]
    fires = next_fire_times(trigger, datetime(2026, 6, 27, tzinfo=UTC), 2)
    assert [f.date().isoformat() for f in fires] == ["2026-06-29", "2026-07-01"]


@pytest.mark.parametrize(
    ("start", "utc_hours"),
    [
        # Summer time starts Sunday 29 March 2026: 09:00 is 08:00 UTC before, 07:00 after.
        (datetime(2026, 3, 26, 10, tzinfo=BERLIN), [8, 8, 7, 7]),
        # It ends Sunday 25 October 2026: 07:00 UTC before, 08:00 after.
        (datetime(2026, 10, 22, 10, tzinfo=BERLIN), [7, 7, 8, 8]),
    ],
)
def test_digest_time_stays_local_across_dst(start: datetime, utc_hours: list[int]) -> None:
    trigger = cron_trigger("0 9 * * *", "Europe/Berlin")
    fires = next_fire_times(trigger, start, 4)
    assert [f.astimezone(BERLIN).strftime("%H:%M") for f in fires] == ["09:00"] * 4
    assert [f.astimezone(UTC).hour for f in fires] == utc_hours
    assert [(f - start).days for f in fires] == [0, 1, 2, 3]


def test_nonexistent_local_time_does_not_break_the_schedule() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026; the days around it still fire.
    trigger = cron_trigger("30 2 * * *", "Europe/Berlin")
    fires = next_fire_times(trigger, datetime(2026, 3, 27, 12, tzinfo=BERLIN), 3)
    days = [f.astimezone(BERLIN).day for f in fires]
    assert days == [28, 29, 30]  # once a day, the 29th at the first valid moment


# --- Schedules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "described"),
    [
        (Schedule.daily(9, 30), "daily at 09:30"),
        (Schedule.weekdays(7, 5), "weekdays at 07:05"),
        (Schedule.from_cron("0  8 * *   1"), "on cron schedule 0 8 * * mon"),
    ],
)
def test_schedule_describe(schedule: Schedule, described: str) -> None:
    assert schedule.describe() == described


@pytest.mark.parametrize(
    ("expr", "normal"),
    [
        ("30 9 * * 1-5", "30 9 * * mon-fri"),
        ("0 9 * * 0", "0 9 * * sun"),
        ("0 9 * * 7", "0 9 * * sun"),
        ("0 9 * * 0-6", "0 9 * * *"),
        ("0 9 * * */2", "0 9 * * tue,thu,sat,sun"),
        ("0 9 * * 1,3,5", "0 9 * * mon,wed,fri"),
        ("0 9 * * 1-5,0", "0 9 * * mon-fri,sun"),
        ("0 9 * * MON-FRI", "0 9 * * mon-fri"),
        ("0 9 1,15 jan-jun *", "0 9 1,15 1-6 *"),
        ("0 9 * jan-dec/3 *", "0 9 * 1-12/3 *"),
        ("5/10 * * * *", "5/10 * * * *"),
    ],
)
def test_normalize_cron(expr: str, normal: str) -> None:
    assert normalize_cron(expr) == normal
    CronTrigger.from_crontab(normal)  # the scheduler accepts what we store


def test_weekdays_fire_monday_to_friday_in_apscheduler() -> None:
    # APScheduler 3 reads weekday numbers with 0 = Monday; `1-5` there would run
    # Tuesday to Saturday. Names avoid that.
    trigger = CronTrigger.from_crontab(Schedule.weekdays(9, 0).cron, timezone=UTC)
    moment = datetime(2026, 3, 13, 12, tzinfo=UTC)  # a Friday
    days = []
    for _ in range(7):
        fire = trigger.get_next_fire_time(None, moment)
        assert fire is not None
        days.append(fire.strftime("%a"))
        moment = fire + timedelta(seconds=1)
    assert days == ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]


def test_configured_crontab_becomes_a_schedule() -> None:
    assert schedule_from_cron("0 9 * * 1-5") == Schedule.weekdays(9, 0)
    assert schedule_from_cron("30 7 * * *") == Schedule.daily(7, 30)
    assert schedule_from_cron("0 9 * * 0,6") == Schedule("cron", "0 9 * * sat,sun")
