"""The SLA clock (domain.business_hours): business hours across days and DST changes,
pauses and a reopen, as properties over random times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mava_bridge.domain.business_hours import BusinessHours, Pause, deadlines, running

ALWAYS = BusinessHours()
BERLIN = BusinessHours(frozenset(range(5)), time(9), time(18), "Europe/Berlin")
NEW_YORK = BusinessHours(frozenset(range(5)), time(1, 30), time(3, 30), "America/New_York")
HOURS = st.sampled_from((ALWAYS, BERLIN, NEW_YORK))
BASE = datetime(2026, 1, 1, tzinfo=UTC)
# Two years in minutes: every DST change of 2026 and 2027 in both zones is in reach.
MOMENTS = st.integers(0, 2 * 365 * 24 * 60).map(lambda m: BASE + timedelta(minutes=m))
SPANS = st.integers(0, 20 * 24 * 60).map(lambda m: timedelta(minutes=m))


def elapsed(
    hours: BusinessHours, start: datetime, now: datetime, pauses: Sequence[Pause] = ()
) -> float:
    """Seconds of running clock between `start` and `now` (0 when now <= start): the
    sum of the running intervals, the measure `deadlines` is checked against."""
    now = now.astimezone(UTC)
    total = 0.0
    for a, b in running(hours, start, pauses):
        if a >= now:
            break
        total += (min(b, now) - a).total_seconds()
    return total


def pauses_from(start: datetime, gaps: list[tuple[int, int]]) -> list[tuple[datetime, datetime]]:
    """Disjoint pauses after `start`: (minutes after the previous end, length)."""
    found, at = [], start
    for gap, length in gaps:
        begin = at + timedelta(minutes=gap)
        at = begin + timedelta(minutes=length)
        found.append((begin, at))
    return found


PAUSES = st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 3000)), max_size=4)


@settings(max_examples=200, deadline=None)
@given(MOMENTS, SPANS)
def test_always_counts_the_wall_clock(start: datetime, span: timedelta) -> None:
    assert elapsed(ALWAYS, start, start + span) == span.total_seconds()


@settings(max_examples=200, deadline=None)
@given(HOURS, MOMENTS, SPANS, SPANS)
def test_time_adds_up_across_days_and_never_exceeds_the_wall_clock(
    hours: BusinessHours, start: datetime, first: timedelta, second: timedelta
) -> None:
    middle, end = start + first, start + first + second
    whole = elapsed(hours, start, end)
    assert whole == pytest.approx(elapsed(hours, start, middle) + elapsed(hours, middle, end))
    assert 0 <= whole <= (end - start).total_seconds()


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2026, 1, 1), date(2028, 12, 31)))
def test_a_business_day_is_nine_hours_whatever_the_dst_offset(day: date) -> None:
    zone = ZoneInfo("Europe/Berlin")
    midnight = datetime.combine(day, time(0), zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
    expected = 9 * 3600 if day.weekday() < 5 else 0
    assert elapsed(BERLIN, midnight, next_midnight) == expected


def test_the_dst_change_moves_the_window_with_the_wall_clock() -> None:
    # Monday 30 March 2026, the day after Berlin went to summer time: 07:00-16:00 UTC.
    monday = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert elapsed(BERLIN, monday - timedelta(hours=1), monday) == 0
    assert elapsed(BERLIN, monday, monday + timedelta(hours=9)) == 9 * 3600
    # Friday 27 March, still winter time: 08:00-17:00 UTC.
    friday = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert elapsed(BERLIN, friday - timedelta(hours=1), friday + timedelta(hours=9)) == 9 * 3600
    # A 3 h target set at Friday 16:00 local: 2 h on Friday, due Monday 10:00 (08:00 UTC).
    [due] = deadlines(BERLIN, datetime(2026, 3, 27, 15, 0, tzinfo=UTC), [3 * 3600])
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_a_window_inside_the_night_of_the_change_is_still_counted_once() -> None:
    # New York springs forward at 02:00 on 8 March 2026: 01:30-03:30 local is one hour.
    sunday = datetime(2026, 3, 8, tzinfo=ZoneInfo("America/New_York"))
    everyday = BusinessHours(frozenset(range(7)), time(1, 30), time(3, 30), "America/New_York")
    assert elapsed(everyday, sunday, sunday + timedelta(days=1)) == 3600


@settings(max_examples=200, deadline=None)
@given(HOURS, MOMENTS, st.integers(1, 5 * 24 * 3600), PAUSES)
def test_a_deadline_is_when_the_running_clock_reaches_the_amount(
    hours: BusinessHours, start: datetime, amount: int, gaps: list[tuple[int, int]]
) -> None:
    pauses = pauses_from(start, gaps)
    [due] = deadlines(hours, start, [amount], pauses)
    assert due is not None
    assert elapsed(hours, start, due, pauses) == pytest.approx(amount)
    assert elapsed(hours, start, due - timedelta(seconds=1), pauses) < amount


@settings(max_examples=200, deadline=None)
@given(HOURS, MOMENTS, SPANS, PAUSES)
def test_pauses_take_their_business_time_off_and_nothing_more(
    hours: BusinessHours, start: datetime, span: timedelta, gaps: list[tuple[int, int]]
) -> None:
    end = start + span
    pauses = pauses_from(start, gaps)
    inside = sum(elapsed(hours, max(a, start), min(b, end)) for a, b in pauses if a < end)
    assert elapsed(hours, start, end, pauses) == pytest.approx(elapsed(hours, start, end) - inside)


@settings(max_examples=100, deadline=None)
@given(HOURS, MOMENTS, st.integers(0, 5000), SPANS)
def test_an_open_pause_holds_the_clock_until_it_ends(
    hours: BusinessHours, start: datetime, minutes: int, later: timedelta
) -> None:
    paused = start + timedelta(minutes=minutes)
    held = [(paused, None)]
    assert elapsed(hours, start, paused + later, held) == elapsed(hours, start, paused)
    [due] = deadlines(hours, start, [elapsed(hours, start, paused) + 60], held)
    assert due is None  # held: no deadline while the pause lasts


def test_reopen_counts_before_the_resolve_and_after_the_reopen() -> None:
    created = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)  # a Monday, 10:00 in Berlin
    resolved = created + timedelta(hours=2)
    reopened = created + timedelta(days=1)  # Tuesday 10:00
    now = reopened + timedelta(hours=3)
    assert elapsed(BERLIN, created, now, [(resolved, reopened)]) == 5 * 3600
    assert elapsed(ALWAYS, created, now, [(resolved, reopened)]) == 5 * 3600


def test_bad_hours_are_refused_in_words() -> None:
    with pytest.raises(ValueError, match="end after it starts"):
        BusinessHours(frozenset({0}), time(18), time(9))
    with pytest.raises(ValueError, match="not a time zone"):
        BusinessHours(frozenset({0}), time(9), time(18), "Mars/Olympus")
    assert BERLIN.describe() == "mon-fri 09:00-18:00 (Europe/Berlin)"
