"""`/mava tickets high` and whole-search paging whatever order Mava uses (issue #12)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from mava_bridge.domain.tickets import OPEN_STATUSES
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.keyset import pages_by_created
from mava_bridge.mava.models import Priority, Ticket
from mava_bridge.mava.query import TicketQuery
from mava_bridge.mava.ratelimit import RateLimiter
from mava_bridge.services.tickets import TicketFilter, TicketService
from mava_sandbox.mava_server import MavaSandbox, RunningSandbox


def high_open(sandbox: MavaSandbox) -> set[str]:
    since = datetime.now(UTC) - timedelta(days=364)
    found = set()
    for ticket in sandbox.tickets:
        if ticket["status"] == "Resolved" or ticket["createdAt"] <= since:
            continue
        if Ticket.model_validate(sandbox.ticket_json(ticket)).priority_level is Priority.HIGH:
            found.add(ticket["_id"])
    return found


async def test_tickets_high_is_complete_whatever_the_order(
    switched: RunningSandbox, client: MavaClient
) -> None:
    sandbox = switched.sandbox
    churn, sandbox.churn = sandbox.churn, 0
    for index in range(180):  # over a page of high tickets, nulls and lows between them
        sandbox.add_ticket(status="Open", priority=(3, 3, None, 1)[index % 4])
    before = high_open(sandbox)
    sandbox.churn = churn
    listing = await TicketService(client).list_tickets(TicketFilter(high_only=True), limit=1000)
    after = high_open(sandbox)
    ids = [t.id for t in listing.tickets]
    assert len(ids) == len(set(ids)) == listing.total
    assert before & after <= set(ids) <= before | after
    if not churn:
        assert set(ids) == before
    assert listing.total > 46


async def test_a_quiet_search_costs_one_request_per_hundred(mava_sandbox: RunningSandbox) -> None:
    sandbox = mava_sandbox.sandbox
    client = MavaClient(mava_sandbox.url, mava_sandbox.api_key, limiter=RateLimiter(1000, 1.0))
    try:
        for _ in range(230):
            sandbox.add_ticket(status="Open")
        query = TicketQuery.recent(statuses=OPEN_STATUSES)
        wanted = sum(1 for t in sandbox.tickets[-400:] if t["status"] != "Resolved")
        sandbox.reset_requests()
        seen = [t.id async for page in pages_by_created(client, query) for t in page.tickets]
        requests = [r for r in sandbox.requests if r.path == "/api/tickets"]
        assert len(seen) == len(set(seen)) >= wanted >= 230
        assert len(requests) == math.ceil(len(seen) / 100)
    finally:
        await client.aclose()
