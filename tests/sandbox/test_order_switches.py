"""The sandbox's switches for Mava's undocumented order and churn (issue #12)."""

from __future__ import annotations

from datetime import timedelta

import httpx

from mava_sandbox.mava_server import MavaSandbox, TicketQuery, running_mava_sandbox


def _query(sandbox: MavaSandbox, sort_by: str = "priority", skip: int = 0) -> TicketQuery:
    now = sandbox.now()
    return TicketQuery(
        start=now - timedelta(days=364),
        end=now + timedelta(minutes=5),
        limit=100,
        skip=skip,
        sort_by=sort_by,
    )


def _priorities(sandbox: MavaSandbox) -> list[object]:
    return [sandbox.served_priority(t) for t in sandbox.select(_query(sandbox))]


def test_defaults_keep_nulls_last_and_numbers_only() -> None:
    ordered = _priorities(MavaSandbox(rate_limit=None))
    assert ordered[0] == 3
    assert all(isinstance(p, int) for p in ordered[: ordered.index(None)])
    assert all(p is None for p in ordered[ordered.index(None) :])


def test_null_priorities_first_puts_nulls_ahead() -> None:
    ordered = _priorities(MavaSandbox(null_priorities="first", rate_limit=None))
    assert ordered[0] is None
    assert all(p is not None for p in ordered[ordered.index(3) :])


def test_string_priorities_sort_above_numbers() -> None:
    ordered = _priorities(MavaSandbox(string_priorities=True, rate_limit=None))
    words = [p for p in ordered if isinstance(p, str)]
    assert words
    assert set(words) <= {"low", "medium", "high"}
    assert all(isinstance(p, str) for p in ordered[: len(words)])


def test_random_ties_change_the_order_of_equals() -> None:
    sandbox = MavaSandbox(random_ties=True, rate_limit=None)
    orders = {tuple(t["_id"] for t in sandbox.select(_query(sandbox))) for _ in range(5)}
    assert len(orders) > 1
    assert len({frozenset(order) for order in orders}) == 1
    # Equal priorities only: the order of priorities itself is kept.
    for order in orders:
        ranks = [sandbox.get(tid)["priority"] or 0 for tid in order]  # type: ignore[index]
        assert ranks == sorted(ranks, reverse=True)


def test_churn_creates_and_resolves_between_pages_only() -> None:
    sandbox = MavaSandbox(churn=2, rate_limit=None)
    count = len(sandbox.tickets)
    resolved = sum(1 for t in sandbox.tickets if t["status"] == "Resolved")
    sandbox.list_tickets(_query(sandbox, skip=0))
    assert len(sandbox.tickets) == count
    sandbox.list_tickets(_query(sandbox, skip=100))
    assert len(sandbox.tickets) == count + 2
    assert sum(1 for t in sandbox.tickets if t["status"] == "Resolved") == resolved + 2


async def test_switches_are_settable_over_the_admin_api() -> None:
    async with (
        running_mava_sandbox(api_key="k", rate_limit=None) as running,
        httpx.AsyncClient(base_url=running.url) as http,
    ):
        answer = await http.post(
            "/_sandbox/switches", json={"null_priorities": "first", "churn": 1}
        )
        assert answer.status_code == 200
        assert answer.json()["null_priorities"] == "first"
        assert running.sandbox.churn == 1
        bad = await http.post("/_sandbox/switches", json={"null_priorities": "middle"})
        assert bad.status_code == 400
        assert running.sandbox.null_priorities == "first"
