"""Finding a ticket by id under the sandbox switch `backdated` (ids whose time is far
from the ticket's createdAt), with the bridge's memory of tickets it has read.

Costs stated per case (requests to GET /api/tickets for one look-up):
- seen before: exactly 1 (the remembered instant, with messages);
- not seen, created within ±2 min of its id's time: 2 (narrow without messages, then
  the ticket with its messages);
- not seen, 1 day off: 4 (±2 min, earlier half of ±2 days, later half: found, then
  with messages);
- not seen, beyond ±60 days, or no such ticket: every window once (5 windows, pages
  as the seeded density needs), none with messages, then the give-up sentence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from mava_bridge.domain import ticket_refs
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.keyset import pages_by_created
from mava_bridge.mava.lookup import TicketNotFoundNear, rings
from mava_bridge.mava.query import TicketQuery
from mava_bridge.store.db import Database
from mava_bridge.store.seen import SeenTickets
from mava_sandbox.mava_server import MavaSandbox, RunningSandbox, running_mava_sandbox


@pytest.fixture
async def backdated() -> AsyncIterator[RunningSandbox]:
    async with running_mava_sandbox(backdated=True, rate_limit=None) as running:
        yield running


@pytest.fixture
async def client(backdated: RunningSandbox, db: Database) -> AsyncIterator[MavaClient]:
    async with MavaClient(backdated.url, backdated.api_key, memory=SeenTickets(db)) as mava:
        yield mava


def _calls(sandbox: MavaSandbox) -> list[dict[str, str]]:
    return [dict(r.query) for r in sandbox.requests if r.path == "/api/tickets"]


def _off_by(sandbox: MavaSandbox, low: timedelta, high: timedelta) -> list[dict[str, Any]]:
    return [
        t
        for t in sandbox.tickets
        if low <= abs(t["createdAt"] - ticket_refs.created_at(t["_id"])) <= high
    ]


async def test_a_ticket_seen_before_costs_exactly_one_request(
    client: MavaClient, backdated: RunningSandbox
) -> None:
    sandbox = backdated.sandbox
    far = _off_by(sandbox, timedelta(days=89), timedelta(days=101))
    async for _page in pages_by_created(client, TicketQuery.recent(now=sandbox.now())):
        pass  # a listing, as searches, alerts and digests read pages
    for ticket in far + sandbox.tickets[::37]:
        sandbox.reset_requests()
        found = await client.get_ticket(ticket["_id"])
        assert found.id == ticket["_id"]
        assert found.messages is not None and len(found.messages) == len(ticket["messages"])
        (call,) = _calls(sandbox)
        assert call["includeMessages"] == "true"


async def test_not_seen_is_narrow_first_without_messages(
    client: MavaClient, backdated: RunningSandbox
) -> None:
    sandbox = backdated.sandbox
    near = _off_by(sandbox, timedelta(0), timedelta(seconds=1))[5]
    found = await client.get_ticket(near["_id"])
    assert found.messages is not None
    narrow, exact = _calls(sandbox)
    assert "includeMessages" not in narrow and exact["includeMessages"] == "true"

    sandbox.reset_requests()
    day = next(
        t
        for t in _off_by(sandbox, timedelta(hours=23), timedelta(hours=25))
        if t["createdAt"] < ticket_refs.created_at(t["_id"])
    )
    assert (await client.get_ticket(day["_id"])).id == day["_id"]
    calls = _calls(sandbox)
    assert all("includeMessages" not in c for c in calls[:-1])
    assert calls[-1]["includeMessages"] == "true"
    windows = {(c["startDate"], c["endDate"]) for c in calls[:-1]}
    assert len(windows) == 2  # ±2 min, then the earlier half of ±2 days: found

    # Read once, the next look-up is exact.
    sandbox.reset_requests()
    assert (await client.get_ticket(day["_id"])).id == day["_id"]
    assert len(_calls(sandbox)) == 1


async def test_a_month_off_is_found_within_sixty_days(
    client: MavaClient, backdated: RunningSandbox
) -> None:
    sandbox = backdated.sandbox
    month = _off_by(sandbox, timedelta(days=29), timedelta(days=31))[0]
    found = await client.get_ticket(month["_id"], include_messages=False)
    assert found.id == month["_id"] and found.messages is None
    windows = {(c["startDate"], c["endDate"]) for c in _calls(sandbox)}
    assert len(windows) <= len(rings(found.created_at))


async def test_beyond_sixty_days_gives_up_and_says_so(
    client: MavaClient, backdated: RunningSandbox
) -> None:
    sandbox = backdated.sandbox
    for ticket_id in (
        _off_by(sandbox, timedelta(days=89), timedelta(days=101))[0]["_id"],
        "0123456789abcdef01234567",  # no such ticket
    ):
        sandbox.reset_requests()
        with pytest.raises(TicketNotFoundNear) as caught:
            await client.get_ticket(ticket_id)
        assert caught.value.user_message == (
            f"Ticket {ticket_id} was not found in Mava within 60 days of the time in its id "
            "— check the id, or paste the ticket's dashboard link"
        )
        calls = _calls(sandbox)
        # Each of the 5 windows once (a later page of one starts at the newest
        # millisecond its previous page held, so only its end stays the same).
        assert len({c["endDate"] for c in calls}) == 5
        assert all("includeMessages" not in c for c in calls)
        linked = caught.value.with_link(f"https://dash/ticket?id={ticket_id}")
        assert linked.user_message.endswith(
            f"open it in Mava from its dashboard link: https://dash/ticket?id={ticket_id}"
        )
