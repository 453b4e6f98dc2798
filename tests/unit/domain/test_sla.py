"""Response-time targets (domain.sla): which clocks a ticket has running, when each
warns and breaches, and the policy as stored."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mava_bridge.domain.business_hours import BusinessHours
from mava_bridge.domain.sla import (
    BREACH,
    FIRST_RESPONSE,
    NEXT_REPLY,
    RESOLUTION,
    WARNING,
    Clock,
    Policy,
    clocks,
    due,
)
from mava_bridge.mava.models import Ticket

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def ticket(*messages: dict[str, Any]) -> Ticket:
    return Ticket.model_validate(
        {"_id": "t1", "createdAt": T0.isoformat(), "status": "Open", "messages": list(messages)}
    )


def customer(minutes: int) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    return {"senderType": "customer", "messageType": "ExternalMessage", "createdAt": at}


def agent(minutes: int, *, note: bool = False) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    kind = "InternalNote" if note else "ExternalMessage"
    return {"senderType": "agent", "messageType": kind, "createdAt": at}


ALWAYS = BusinessHours()
HOUR = 3600


def test_the_first_response_is_owed_from_the_customers_first_message() -> None:
    assert clocks(ticket(customer(5), customer(9))) == [
        Clock(FIRST_RESPONSE, T0 + timedelta(minutes=5)),
        Clock(RESOLUTION, T0),
    ]
    # An agent writing first is no response; a private note is none either.
    found = ticket(agent(1), customer(5), agent(6, note=True))
    assert clocks(found)[0] == Clock(FIRST_RESPONSE, T0 + timedelta(minutes=5))
    assert clocks(ticket()) == [Clock(RESOLUTION, T0)]  # the customer never wrote


def test_after_the_first_answer_the_next_reply_runs_from_the_customers_next_message() -> None:
    answered = ticket(customer(5), agent(20))
    assert clocks(answered) == [Clock(RESOLUTION, T0)]  # nobody waits: nothing to warn of
    again = ticket(customer(5), agent(20), customer(30), customer(40))
    assert clocks(again)[0] == Clock(NEXT_REPLY, T0 + timedelta(minutes=30))
    assert clocks(again)[0].key == f"next-reply@{(T0 + timedelta(minutes=30)).isoformat()}"


def test_a_warning_at_80_percent_and_a_breach_at_the_target() -> None:
    clock = Clock(FIRST_RESPONSE, T0)
    assert due(clock, HOUR, ALWAYS, T0 + timedelta(minutes=47)) is None
    warned = due(clock, HOUR, ALWAYS, T0 + timedelta(minutes=48))
    assert warned is not None and warned.level == WARNING
    assert warned.at == T0 + timedelta(minutes=48)
    breached = due(clock, HOUR, ALWAYS, T0 + timedelta(hours=5))
    assert breached is not None and breached.level == BREACH  # the warning is moot
    paused = [(T0 + timedelta(minutes=10), None)]
    assert due(clock, HOUR, ALWAYS, T0 + timedelta(hours=5), paused) is None


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10 * 24 * 3600), st.integers(0, 20 * 24 * 3600))
def test_the_level_follows_the_share_of_the_target_used(target: int, seconds: int) -> None:
    found = due(Clock(NEXT_REPLY, T0), target, ALWAYS, T0 + timedelta(seconds=seconds))
    if seconds >= target:
        assert found is not None and found.level == BREACH
    elif seconds >= 0.8 * target:
        assert found is not None and found.level == WARNING
    else:
        assert found is None


def test_a_policy_by_priority_with_no_priority_as_medium_and_round_trips() -> None:
    policy = Policy().with_targets(["high"], {FIRST_RESPONSE: 900, RESOLUTION: 86400})
    policy = policy.with_targets(["medium", "low"], {FIRST_RESPONSE: 2 * HOUR})
    assert policy.target(3, FIRST_RESPONSE) == 900
    assert policy.target(None, FIRST_RESPONSE) == 2 * HOUR
    assert policy.target(1, RESOLUTION) is None
    # Setting a priority again replaces its targets.
    assert policy.with_targets(["high"], {NEXT_REPLY: 60}).target(3, RESOLUTION) is None
    hours = BusinessHours(frozenset(range(5)), time(9), time(18), "Europe/Berlin")
    stored = Policy(policy.targets, hours)
    assert Policy.from_json(stored.to_json()) == stored
    assert Policy.from_json({}) == Policy()


def test_clocks_run_from_aware_times() -> None:
    [resolution] = clocks(ticket())
    assert resolution.started.tzinfo is not None and resolution.started == T0.astimezone(UTC)
    assert datetime.fromisoformat(resolution.key.split("@")[1]) == T0
