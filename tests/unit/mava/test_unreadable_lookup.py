"""A ticket Mava returns but we cannot read is "found but unreadable", not "not found"
(issue #12): its id, what was wrong in a few words, and its dashboard link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.lookup import TicketNotFoundNear, TicketUnreadable, find_ticket
from mava_bridge.mava.models import TicketPage, TicketPageReader
from mava_bridge.mava.query import TicketQuery
from mava_bridge.services.tickets import TicketService
from mava_bridge.store.db import Database
from mava_bridge.store.seen import SeenTickets
from mava_sandbox.mava_server import MavaSandbox, RunningSandbox, running_mava_sandbox

LINK = "https://dashboard.example/ticket?id="


@pytest.fixture
async def odd() -> AsyncIterator[RunningSandbox]:
    async with running_mava_sandbox(rate_limit=None, tickets=40) as running:
        yield running


def _unreadable_ticket(sandbox: MavaSandbox, **fields: Any) -> str:
    ticket_id = str(sandbox.add_ticket(status="Open", priority=3, **fields)["_id"])
    sandbox.serve_odd(ticket_id, "unreadable")  # "priority": {"value": 3}
    return ticket_id


def _searches(sandbox: MavaSandbox) -> int:
    return sum(1 for r in sandbox.requests if r.path == "/api/tickets")


async def test_show_says_found_but_unreadable_with_what_and_the_link(
    odd: RunningSandbox,
) -> None:
    sandbox = odd.sandbox
    ticket_id = _unreadable_ticket(sandbox)
    async with MavaClient(odd.url, odd.api_key) as mava:
        sandbox.reset_requests()
        with pytest.raises(TicketUnreadable) as caught:
            await TicketService(mava, link=lambda tid: LINK + tid).ticket(ticket_id)
    message = caught.value.user_message
    assert f"Ticket {ticket_id} was found in Mava, but it could not be read" in message
    assert "(priority in an unexpected shape)" in message
    assert message.endswith(f"open it in Mava: {LINK}{ticket_id}")
    assert "not found" not in message
    assert _searches(sandbox) == 1  # found in the first, narrowest window: no widening


async def test_a_ticket_seen_before_and_unreadable_now(odd: RunningSandbox, db: Database) -> None:
    sandbox = odd.sandbox
    ticket_id = str(sandbox.add_ticket(status="Open", priority=2)["_id"])
    async with MavaClient(odd.url, odd.api_key, memory=SeenTickets(db)) as mava:
        assert (await mava.get_ticket(ticket_id)).id == ticket_id  # remembered
        sandbox.serve_odd(ticket_id, "unreadable")
        sandbox.reset_requests()
        with pytest.raises(TicketUnreadable) as caught:
            await mava.get_ticket(ticket_id)
    assert caught.value.problems == "priority in an unexpected shape"
    # The exact window with messages, then without them (it might read without): 2.
    assert _searches(sandbox) == 2


async def test_a_backdated_unreadable_ticket_is_found_in_a_wider_window(
    odd: RunningSandbox,
) -> None:
    sandbox = odd.sandbox
    made = sandbox.add_ticket(status="Open", createdAt=sandbox.now() - timedelta(days=1))
    ticket_id = str(sandbox.backdate(made["_id"], sandbox.now())["_id"])  # id a day off
    sandbox.serve_odd(ticket_id, "unreadable")
    async with MavaClient(odd.url, odd.api_key) as mava:
        sandbox.reset_requests()
        with pytest.raises(TicketUnreadable) as caught:
            await mava.get_ticket(ticket_id)
    assert caught.value.ticket_id == ticket_id
    assert 2 <= _searches(sandbox) <= 3  # ±2 min, then a half of ±2 days


async def test_a_missing_ticket_is_still_not_found(odd: RunningSandbox) -> None:
    _unreadable_ticket(odd.sandbox)  # an unreadable neighbour does not make it "found"
    async with MavaClient(odd.url, odd.api_key) as mava:
        with pytest.raises(TicketNotFoundNear):
            await mava.get_ticket("0123456789abcdef01234567")


class _RawPages:
    """Answers every search with the same raw page, read by the real page reader: a
    ticket whose messages cannot be read (the sandbox has no such shape)."""

    def __init__(self, ticket: dict[str, Any]) -> None:
        self.ticket = ticket
        self.asked: list[bool] = []

    async def fetch_tickets(
        self, query: TicketQuery, *, limit: int = 50, skip: int = 0
    ) -> TicketPage:
        self.asked.append(query.include_messages)
        item = dict(self.ticket)
        if query.include_messages:
            item["messages"] = [{"content": {"text": "an object, not a string"}}]
        raw = {
            "tickets": [item],
            "count": 1,
            "pagination": {"limit": limit, "skip": skip, "hasMore": False},
        }
        return TicketPageReader().read(raw)


async def test_only_the_messages_unreadable_shows_the_rest() -> None:
    ticket_id = "65f0a1b2c3d4e5f601234567"
    pages = _RawPages({"_id": ticket_id, "createdAt": "2024-03-12T20:00:00Z", "status": "Open"})
    found = await find_ticket(pages, ticket_id, known=None)
    assert found.id == ticket_id and found.messages is None
    assert pages.asked == [False, True]  # found without messages; with them unreadable
    pages.asked.clear()
    again = await find_ticket(pages, ticket_id, known=found.created_at)
    assert again.id == ticket_id
    assert pages.asked == [True, False]


def test_a_page_names_its_unreadable_tickets_without_their_values() -> None:
    secret = "customer@example.com"
    page = TicketPageReader().read(
        {
            "tickets": [
                {"_id": "a" * 24, "status": "Open", "customer": {"email": secret}},
                {"_id": "b" * 24, "createdAt": "2026-01-01T00:00:00Z", "status": "Open"},
                {"createdAt": secret, "status": "Open"},
            ],
            "count": 3,
            "pagination": {"limit": 100, "skip": 0, "hasMore": False},
        }
    )
    assert [t.id for t in page.tickets] == ["b" * 24]
    assert page.skipped == 2
    assert page.unreadable == {"a" * 24: "createdAt missing"}
    assert secret not in str(page.unreadable)
