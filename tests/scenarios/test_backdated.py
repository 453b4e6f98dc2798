"""The whole bridge under the sandbox switch `backdated` (ticket ids whose time is far
from their createdAt, as imported tickets have), and identify telling the truth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from mava_sandbox.stack import Stack

from .conftest import (
    LOOKUP_ACK_SECONDS,
    MISSING_TICKET,
    SAM,
    ack_json,
    assert_ack,
    audit_rows,
    flat,
    messages,
    run,
    scenario_stack,
    shown,
    target_of,
    view_update,
)

JSON = dict[str, Any]

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    async with scenario_stack(mava_options={"backdated": True}) as stack:
        yield stack


def _listings(stack: Stack) -> int:
    return sum(1 for r in stack.mava.sandbox.requests if r.path == "/api/tickets")


def _imported(stack: Stack, id_days_before: int) -> str:
    """A new ticket created an hour ago whose id was made `id_days_before` days earlier."""
    sandbox = stack.mava.sandbox
    ticket = sandbox.add_ticket(createdAt=sandbox.now() - timedelta(hours=1))
    return str(
        sandbox.backdate(ticket["_id"], ticket["createdAt"] - timedelta(days=id_days_before))["_id"]
    )


async def test_show_finds_a_ticket_seen_before_in_one_request(stack: Stack) -> None:
    ticket_id = _imported(stack, 100)
    listed = await run(stack, "tickets")  # the listing records when each was created
    assert ticket_id[-6:] in shown(listed)
    stack.mava.sandbox.reset_requests()
    body = await run(stack, f"show {ticket_id}")
    assert ticket_id[-6:] in shown(body)
    assert _listings(stack) == 1


async def test_show_finds_a_month_off_ticket_never_seen(stack: Stack) -> None:
    ticket_id = _imported(stack, 30)
    body = await run(stack, f"show {ticket_id}")
    assert ticket_id[-6:] in shown(body)
    # ±2 min, both halves of ±2 days, the earlier half of ±60 days (pages as needed),
    # then once with messages: bounded.
    assert 4 <= _listings(stack) <= 10


async def test_show_gives_up_honestly_with_the_link(stack: Stack) -> None:
    for ticket_id in (_imported(stack, 100), MISSING_TICKET):
        stack.mava.sandbox.reset_requests()
        body = await run(stack, f"show {ticket_id}")
        assert (
            f"Ticket {ticket_id} was not found in Mava within 60 days of the time in its id "
            "— check the id, or open it in Mava from its dashboard link: "
            f"https://dashboard.mava.app/dashboard/ticket?id={ticket_id}"
        ) in shown(body)
        assert _listings(stack) <= 12


async def test_identify_names_the_customer_id_mava_returned(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    new_email = "brand.new@example.com"  # no customer has it: Mava makes one
    body = await run(stack, f"identify {new_email} Plan=Pro")
    customer = sandbox.find_customer(email=new_email)
    assert customer is not None
    assert body["text"] == (
        f"Updated 1 attribute(s) (Plan) for {new_email}. Mava returned customer ID {customer.id}."
    )
    old = next(c for c in sandbox.customers.values() if c.email and c.id != customer.id)
    body = await run(stack, f"identify {old.email} Plan=Free")
    assert body["text"] == (
        f"Updated 1 attribute(s) (Plan) for {old.email}. Mava returned customer ID {old.id}."
    )
    rows = [r for r in await audit_rows(stack) if r.action == "identify"]
    assert [r.summary for r in rows[-2:]] == [
        f"{new_email}: Plan=Pro | customer {customer.id}",
        f"{old.email}: Plan=Free | customer {old.id}",
    ]


async def test_buttons_on_a_backdated_ticket_work(stack: Stack) -> None:
    ticket_id = _imported(stack, 30)
    card = await run(stack, f"show {ticket_id}")
    assert ticket_id[-6:] in shown(card)
    stack.mava.sandbox.reset_requests()
    response = await stack.sender.action(
        "ticket_resolve", ticket_id, is_ephemeral=True, message_ts="1767225600.000300"
    )
    assert_ack(response)
    target = target_of(stack.sender.last_response_url)
    [call] = await stack.slack.wait_for(
        "response_url", predicate=lambda c: c.target == target, timeout=8.0
    )
    assert "*Status* Resolved" in flat(shown(call.params))
    assert stack.mava.sandbox.get(ticket_id)["status"] == "Resolved"  # type: ignore[index]
    # Seen by `show`, so one exact request each: the read before the write (is it
    # already resolved?) and the redraw.
    assert _listings(stack) == 2


async def test_note_shortcut_on_a_backdated_ticket(stack: Stack) -> None:
    found, lost = _imported(stack, 30), _imported(stack, 100)
    message = {"user": SAM, "ts": "1767225600.000200", "text": f"About {found}"}
    assert_ack(await stack.sender.shortcut("add_private_note", message=message))
    [opened] = await stack.slack.wait_for("views.open")
    assert opened.response is not None
    view_id = opened.response["view"]["id"]
    await view_update(stack, view_id)
    view = stack.slack.view(view_id)
    assert view is not None

    async def submit(ticket: str) -> JSON:
        response = await stack.sender.submit_view(
            "shortcut_note_modal", {"ticket": ticket, "text": "imported"}, view=view
        )
        return ack_json(response, LOOKUP_ACK_SECONDS)

    refused = await submit(lost)
    assert f"Ticket {lost} was not found in Mava within 60 days" in refused["errors"]["ticket"]
    assert (
        f"dashboard link: https://dashboard.mava.app/dashboard/ticket?id={lost}"
        in (refused["errors"]["ticket"])
    )
    accepted = await submit(found)
    assert accepted["response_action"] == "update"
    await view_update(stack, view_id, 2)
    [note] = messages(stack, found, "InternalNote")
    assert note["content"].startswith("Note from Jane via Slack: imported")
