"""A report's numbers: median and nearest-rank p90, the created / resolved split by the
period's bounds, the per-day series (empty days kept, days in the report's zone), and
the breakdowns by origin and agent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from mava_bridge.domain.report_stats import TicketFacts, build, median, p90
from mava_bridge.domain.waiting import first_response

START = datetime(2026, 3, 23, tzinfo=UTC)
END = START + timedelta(days=7)


def facts(i: int, created: datetime, **fields: object) -> TicketFacts:
    base = {
        "id": str(i),
        "origin": "web",
        "agent": "Ann",
        "created": created,
        "resolved": None,
        "first_response": None,
        "csat": None,
    }
    return TicketFacts(**{**base, **fields})  # type: ignore[arg-type]


def test_median_and_p90() -> None:
    assert median([]) is None and p90([]) is None
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert p90(list(range(1, 11))) == 9
    assert p90(list(range(1, 12))) == 10
    assert p90([7]) == 7


@given(st.lists(st.integers(0, 10_000), min_size=1))
def test_p90_has_90_percent_at_or_below_it(values: list[int]) -> None:
    cut = p90(values)
    assert cut in values
    assert sum(v <= cut for v in values) >= 0.9 * len(values)
    assert sum(v < cut for v in values) < 0.9 * len(values)


def test_created_and_resolved_are_split_by_the_period() -> None:
    tickets = [
        facts(1, START, first_response=60.0),
        facts(2, START - timedelta(days=3), resolved=START + timedelta(hours=1), csat=2),
        facts(3, END, first_response=1.0),  # the end is excluded
        facts(4, START + timedelta(days=1), resolved=END + timedelta(seconds=1)),
        facts(5, START + timedelta(days=2), resolved=START + timedelta(days=3), csat=5),
    ]
    report = build(tickets, START, END, backlog=4, zone=UTC)
    assert (report.total.created, report.total.resolved, report.backlog) == (3, 2, 4)
    assert report.total.first_response_median == 60.0
    assert report.total.csat_counts == {2: 1, 5: 1}
    assert report.total.csat_average == 3.5
    assert report.total.resolution_median == (3 * 86400 + 86400 + 3600) / 2


def test_days_are_calendar_days_of_the_zone_empty_ones_kept() -> None:
    zone = ZoneInfo("America/New_York")
    late = START + timedelta(hours=2)  # still the 22nd in New York
    report = build([facts(1, late, first_response=30.0)], START, END, 0, zone)
    assert len(report.days) == 8  # the 22nd (evening) to the 29th (evening)
    assert report.days[0].day.isoformat() == "2026-03-22"
    assert (report.days[0].created, report.days[0].first_response_median) == (1, 30.0)
    assert all(d.created == 0 for d in report.days[1:])


def test_breakdowns_by_origin_and_agent() -> None:
    tickets = [
        facts(1, START, origin="discord", agent="Ann"),
        facts(2, START, origin="email", agent="Bo"),
        facts(3, START, origin="email", agent="Ann"),
    ]
    report = build(tickets, START, END, 0, UTC)
    assert {k: g.created for k, g in report.origins.items()} == {"discord": 1, "email": 2}
    assert {k: g.created for k, g in report.agents.items()} == {"Ann": 2, "Bo": 1}


@dataclass
class Said:
    sender_type: str
    created_at: datetime | None
    message_type: str = "ExternalMessage"


def test_first_response_is_the_first_agent_answer_after_the_first_customer_message() -> None:
    at = START
    assert first_response([]) is None
    said = [
        Said("agent", at),  # an agent line before the customer wrote: not a response
        Said("customer", at + timedelta(minutes=1)),
        Said("agent", at + timedelta(minutes=2), "InternalNote"),  # a note: no answer
        Said("customer", at + timedelta(minutes=3)),
        Said("agent", at + timedelta(minutes=9)),
    ]
    assert first_response(said) == 8 * 60
    assert first_response(said[:4]) is None
