"""Mava's undocumented shapes and access errors, through signed /mava commands.

The sandbox runs with `odd_shapes`: its newest tickets are served with null tags, a
customer without `_id`, a plain-string assignee and category, a number csat, messages
without `_id` or `createdAt`, and one ticket no client can read (priority an object).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from mava_sandbox.odd_shapes import ODD_SHAPES
from mava_sandbox.stack import Stack

from .conftest import CHANNEL, flat, run, scenario_stack, shown
from .log_capture import captured_logs

pytestmark = pytest.mark.asyncio(loop_scope="module")

OPEN_STATUSES = ("Open", "Pending", "Waiting")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    async with scenario_stack(mava_options={"odd_shapes": True}) as stack:
        yield stack


def odd_tickets(stack: Stack) -> dict[str, str]:
    """shape -> ticket id, for the seeded tickets served oddly."""
    return {shape: tid for tid, shape in stack.mava.sandbox.odd_shape_of.items()}


def listed_ids(text: str) -> list[str]:
    return re.findall(r"ticket\?id=([0-9a-f]{24})", text)


async def test_tickets_lists_every_readable_ticket_with_mavas_total(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    odd = odd_tickets(stack)
    assert set(odd) == set(ODD_SHAPES)
    expected = sorted(
        (t for t in sandbox.tickets if t["status"] in OPEN_STATUSES),
        key=lambda t: (t["createdAt"], t["_id"]),
        reverse=True,
    )
    with captured_logs() as logs:
        text = shown(await run(stack, "tickets"))
        again = shown(await run(stack, "tickets"))
    total = int(re.search(r"\*(\d+) tickets?\*", text).group(1))  # type: ignore[union-attr]
    assert total == len(expected)  # Mava's count of every match
    readable = [t["_id"] for t in expected[:20] if t["_id"] != odd["unreadable"]]
    assert listed_ids(text) == readable
    assert listed_ids(again) == readable
    newest_open = {t["_id"] for t in expected[:20]}
    for shape, ticket_id in odd.items():
        if shape != "unreadable" and ticket_id in newest_open:
            assert ticket_id in readable, shape
    # The unreadable ticket is named once with what was wrong, not once per search.
    named = [r for r in logs.records() if r.get("ticket_id") == odd["unreadable"]]
    assert len(named) == 1
    assert named[0]["problems"].startswith("priority")
    assert "unreadable" in named[0]["message"]
    assert logs.errors() == []


@pytest.mark.parametrize("shape", [s for s in ODD_SHAPES if s != "unreadable"])
async def test_show_an_odd_shaped_ticket(stack: Stack, shape: str) -> None:
    sandbox = stack.mava.sandbox
    ticket = str(
        sandbox.add_ticket(
            status="Pending",
            priority=3,
            category=sandbox.category_id("Billing"),
            assignedTo=sandbox.agent_id("Omar Haddad"),
            tags=[sandbox.tag_id("VIP")],
            csat=5,
            customer={"name": "Ada Lovelace", "email": "ada@example.com"},
            messages=["I was charged twice", {"content": "Refunded", "senderType": "agent"}],
        )["_id"]
    )
    sandbox.serve_odd(ticket, shape)
    text = flat(shown(await run(stack, f"show {ticket}")))
    assert f"Ticket id `{ticket}`" in text
    assert "*Status* Pending" in text and "*Priority* :red_circle: High" in text
    assert "I was charged twice" in text and "Refunded" in text
    assert text.index("I was charged twice") < text.index("Refunded")
    assert "Ada Lovelace" in text
    billing, omar = sandbox.category_id("Billing"), sandbox.agent_id("Omar Haddad")
    expected = {
        "null_tags": "*Tags* none",
        "string_assignee": f"*Assignee* agent {omar[-6:]}",  # the id is all we know
        "string_category": f"*Category* {billing}",
    }
    assert expected.get(shape, "*Category* Billing *Assignee* Omar Haddad") in text
    if shape != "null_tags":
        assert "*Tags* VIP" in text


async def test_digest_lists_the_readable_odd_tickets(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    made = {}
    for shape in ODD_SHAPES:
        made[shape] = str(sandbox.add_ticket(priority=3, status="Open")["_id"])
        sandbox.serve_odd(made[shape], shape)
    body = await run(stack, "digest")
    listed = [
        str(block["block_id"]).removeprefix("ticket:")
        for message in stack.slack.messages(CHANNEL)
        for block in message.get("blocks") or []
        if str(block.get("block_id", "")).startswith("ticket:")
    ]
    assert f"Digest posted ({len(listed)} tickets)." in body["text"]
    assert made["unreadable"] not in listed
    for shape, ticket_id in made.items():
        if shape != "unreadable":
            assert ticket_id in listed, shape


@pytest.mark.parametrize(
    ("status", "sentence", "fix"),
    [
        (403, "Mava answered 403 Forbidden for GET", "MAVA_API_TOKEN"),
        (404, "Mava answered 404 Not Found for GET", "MAVA_API_URL"),
    ],
)
async def test_403_and_404_get_their_own_sentence(
    stack: Stack, status: int, sentence: str, fix: str
) -> None:
    stack.mava.sandbox.inject("status", path="/api/tickets", status=status, body={})
    text = flat(shown(await run(stack, "tickets")))
    assert sentence in text
    assert f"{stack.mava.url}/api/tickets:" in text
    assert fix in text
    assert "unexpected error" not in text
    assert stack.mava.api_key not in text
