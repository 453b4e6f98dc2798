"""Assign to me and Resolve on an alert card and on a followed ticket's card (#18): the
card is drawn again by the builder that drew it, so Slack takes the chat.update (block
ids stay unique), the card shows the new state without stale buttons, and the update's
fallback text says what its blocks say."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from mava_bridge.mava.models import Ticket
from mava_bridge.slack import blocks as b
from mava_bridge.slack.blocks.threads import FOLLOWING
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    JANE,
    assert_ack,
    buttons,
    flat,
    mava_ticket,
    new_ticket,
    reset,
    run,
    scenario_stack,
    shown,
    target_of,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
NOW = datetime(2026, 3, 16, 14, 22, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_stack() -> AsyncIterator[Stack]:
    async with scenario_stack(alert_channel=CHANNEL, alert_min_priority="high") as stack:
        await stack.runtime.delivery.poller.poll_once()  # what is there already: baseline
        yield stack


@pytest.fixture
def stack(module_stack: Stack) -> Stack:
    return reset(module_stack)


def block_ids(message: JSON) -> list[str]:
    return [str(block["block_id"]) for block in message["blocks"] if "block_id" in block]


def card_of(stack: Stack, ticket_id: str) -> JSON:
    [card] = [
        m
        for m in stack.slack.messages(CHANNEL)
        if f"actions:{ticket_id}" in json.dumps(m.get("blocks"))
    ]
    return card


async def alert(stack: Stack) -> tuple[str, JSON]:
    """A new high-priority ticket, alerted in CHANNEL by the poller (and so followed)."""
    ticket = new_ticket(stack, priority=3, messages=["My order never came"])
    assert (await stack.runtime.delivery.poller.poll_once()).alerted == 1
    return ticket, card_of(stack, ticket)


async def followed(stack: Stack) -> tuple[str, JSON]:
    """A ticket followed with `/mava follow`: its card is the thread's root."""
    ticket = new_ticket(stack, messages=["Where is my refund?"])
    await run(stack, f"follow {ticket}")
    return ticket, card_of(stack, ticket)


async def press(stack: Stack, action_id: str, ticket_id: str, card: JSON) -> JSON:
    """Press a button on the card; the card as Slack holds it after the bot's update."""
    before = len(stack.slack.calls("chat.update"))
    assert_ack(await stack.sender.action(action_id, ticket_id, message=card))
    [*_, call] = await stack.slack.wait_for("chat.update", before + 1, timeout=8.0)
    assert call.ok, call.response  # Slack took it: no block id twice, every limit kept
    assert call.params["ts"] == card["ts"]
    updated = stack.slack.message(CHANNEL, card["ts"])
    assert updated is not None
    assert len(block_ids(updated)) == len(set(block_ids(updated)))
    return updated


def assert_followed_card(card: JSON, ticket_id: str, status: str) -> None:
    assert FOLLOWING in shown(card)
    assert card["text"] == f"Ticket {ticket_id}: {status}"  # the fallback agrees
    assert status in shown(card["blocks"][:2])
    assert buttons(card).count("ticket_unfollow") == 1


async def test_assign_then_resolve_on_an_alert_card_before_its_first_sync(
    stack: Stack,
) -> None:
    ticket, card = await alert(stack)
    assigned = await press(stack, "ticket_assign_me", ticket, card)
    assert mava_ticket(stack, ticket)["assignedTo"] == stack.mava.sandbox.agent_id(
        "jane@example.com"
    )
    assert f"Assigned to <@{JANE}>" in shown(assigned)
    assert "Jane Smith" in shown(assigned)
    assert "ticket_assign_me" not in buttons(assigned)
    assert "New High-priority ticket" in shown(assigned)  # the alert's headline stays
    assert_followed_card(assigned, ticket, "Open")

    resolved = await press(stack, "ticket_resolve", ticket, assigned)
    assert mava_ticket(stack, ticket)["status"] == "Resolved"
    assert f"Resolved by <@{JANE}>" in shown(resolved)
    assert buttons(resolved) == ["ticket_reply", "ticket_note", "ticket_unfollow"]
    assert_followed_card(resolved, ticket, "Resolved")
    assert stack.slack.responses() == []  # the card said it; nothing ephemeral


async def test_resolve_then_assign_on_an_alert_card_the_sync_has_drawn(stack: Stack) -> None:
    ticket, _ = await alert(stack)
    await stack.runtime.delivery.scheduler.run_threads()  # adds the follow line, Unfollow
    card = card_of(stack, ticket)
    assert FOLLOWING in shown(card) and "ticket_unfollow" in buttons(card)

    resolved = await press(stack, "ticket_resolve", ticket, card)
    assert f"Resolved by <@{JANE}>" in shown(resolved)
    assert "ticket_resolve" not in buttons(resolved)
    assert "New High-priority ticket" in shown(resolved)
    assert_followed_card(resolved, ticket, "Resolved")

    assigned = await press(stack, "ticket_assign_me", ticket, resolved)
    assert f"Assigned to <@{JANE}>" in shown(assigned)
    assert buttons(assigned) == ["ticket_reply", "ticket_note", "ticket_unfollow"]
    assert_followed_card(assigned, ticket, "Resolved")


async def test_assign_then_resolve_on_a_followed_tickets_card(stack: Stack) -> None:
    ticket, card = await followed(stack)
    assert FOLLOWING in shown(card)

    assigned = await press(stack, "ticket_assign_me", ticket, card)
    assert f"Assigned to <@{JANE}>" in shown(assigned)
    assert "ticket_assign_me" not in buttons(assigned)
    assert "ticket_resolve" in buttons(assigned)
    assert_followed_card(assigned, ticket, "Open")

    resolved = await press(stack, "ticket_resolve", ticket, assigned)
    assert mava_ticket(stack, ticket)["status"] == "Resolved"
    assert f"Resolved by <@{JANE}>" in flat(shown(resolved))
    assert buttons(resolved) == ["ticket_reply", "ticket_note", "ticket_unfollow"]
    assert_followed_card(resolved, ticket, "Resolved")


async def test_resolve_on_a_ticket_card_in_a_channel_redraws_the_card(stack: Stack) -> None:
    """A ticket card (`/mava show`'s, sent by DM when no ephemeral could be) holds no
    item to swap: the whole card is drawn again through the response URL."""
    ticket = new_ticket(stack)
    sandbox = stack.mava.sandbox
    shown_ticket = Ticket.model_validate(sandbox.ticket_json(mava_ticket(stack, ticket)))
    posted = await stack.runtime.slack.chat_postMessage(
        channel=CHANNEL,
        text=b.ticket_card_text(shown_ticket),
        blocks=b.ticket_card(shown_ticket, ticket_url="https://mava.example/t", now=NOW),
    )
    card = stack.slack.message(CHANNEL, posted["ts"])
    assert card is not None
    assert_ack(await stack.sender.action("ticket_resolve", ticket, message=card))
    target = target_of(stack.sender.last_response_url)
    [call] = await stack.slack.wait_for(
        "response_url", predicate=lambda c: c.target == target, timeout=8.0
    )
    assert call.ok and call.params["replace_original"] is True
    redrawn = stack.slack.message(CHANNEL, card["ts"])
    assert redrawn is not None
    assert "*Status* Resolved" in flat(shown(redrawn))
    assert buttons(redrawn) == ["ticket_open", "ticket_reply", "ticket_note"]
    assert len(block_ids(redrawn)) == len(set(block_ids(redrawn)))
    assert stack.slack.calls("chat.update") == []
