"""A look-up by id reads a dense window (more than a page within a second, ties in
every millisecond) without offsets, so Mava returning ties in another order on every
request, or tickets created and resolved between two requests, cannot hide the ticket
(issue #12)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.ratelimit import RateLimiter
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox


@pytest.fixture(params=[{"random_ties": True}, {"random_ties": True, "churn": 2}])
async def dense(request: pytest.FixtureRequest) -> AsyncIterator[RunningSandbox]:
    async with running_mava_sandbox(rate_limit=None, tickets=0, **request.param) as running:
        churn, running.sandbox.churn = running.sandbox.churn, 0
        second = running.sandbox.now().replace(microsecond=0)
        for index in range(250):  # 36 milliseconds of 7 ties: pages end inside ties
            at = second + timedelta(milliseconds=index // 7)
            running.sandbox.add_ticket(status="Open", createdAt=at)
        running.sandbox.churn = churn
        yield running


async def test_every_ticket_of_a_dense_second_is_found(dense: RunningSandbox) -> None:
    sandbox = dense.sandbox
    wanted = [t["_id"] for t in sandbox.tickets]
    async with MavaClient(dense.url, dense.api_key, limiter=RateLimiter(10_000, 1.0)) as mava:
        sandbox.reset_requests()
        for ticket_id in wanted:
            found = await mava.get_ticket(ticket_id, include_messages=False)
            assert found.id == ticket_id
    searches = sum(1 for r in sandbox.requests if r.path == "/api/tickets")
    assert searches <= len(wanted) * 4  # a few pages each, not every window
