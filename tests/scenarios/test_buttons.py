"""Buttons on ticket cards and digest messages: Resolve, Assign to me, Reply, Add note."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mava_bridge.mava.models import Ticket
from mava_bridge.slack import blocks as b
from mava_bridge.slack.callback_ids import actions_block_id, item_block_id, state_block_id
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    JANE,
    assert_ack,
    audit_rows,
    flat,
    mava_ticket,
    new_ticket,
    run,
    shown,
    target_of,
    view_update,
    views_opened,
    writes,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]


def _buttons(blocks: list[JSON], ticket_id: str | None = None) -> list[str]:
    return [
        element["action_id"]
        for block in blocks
        if block["type"] == "actions"
        and (ticket_id is None or block.get("block_id") == f"actions:{ticket_id}")
        for element in block["elements"]
    ]


async def click_on_card(stack: Stack, action_id: str, ticket_id: str) -> JSON:
    """Click a button of an ephemeral `/mava show` card; return what replaced the card."""
    response = await stack.sender.action(
        action_id, ticket_id, is_ephemeral=True, message_ts="1767225600.000300"
    )
    assert_ack(response)
    target = target_of(stack.sender.last_response_url)
    [call] = await stack.slack.wait_for(
        "response_url", predicate=lambda c: c.target == target, timeout=8.0
    )
    return call.params


async def test_resolve_from_a_ticket_card(stack: Stack) -> None:
    ticket = new_ticket(stack)
    card = await run(stack, f"show {ticket}")
    assert "ticket_resolve" in _buttons(card["blocks"])

    redrawn = await click_on_card(stack, "ticket_resolve", ticket)
    assert redrawn["replace_original"] is True
    assert "*Status* Resolved" in flat(shown(redrawn))
    assert _buttons(redrawn["blocks"]) == ["ticket_open", "ticket_reply", "ticket_note"]
    assert mava_ticket(stack, ticket)["status"] == "Resolved"
    [row] = await audit_rows(stack, ticket)
    assert (row.slack_user_id, row.action, row.outcome, row.channel_id) == (
        JANE,
        "resolve",
        "ok",
        CHANNEL,
    )


async def test_assign_to_me_from_a_ticket_card(stack: Stack) -> None:
    ticket = new_ticket(stack)
    redrawn = await click_on_card(stack, "ticket_assign_me", ticket)
    assert "*Assignee* Jane Smith" in flat(shown(redrawn))
    assert "ticket_assign_me" not in _buttons(redrawn["blocks"])
    sandbox = stack.mava.sandbox
    assert mava_ticket(stack, ticket)["assignedTo"] == sandbox.agent_id("jane@example.com")


async def _post_digest(stack: Stack, ticket_ids: list[str]) -> JSON:
    """Post a digest with these tickets into the channel, as the bot would; return it."""
    sandbox = stack.mava.sandbox
    records = [mava_ticket(stack, i) for i in ticket_ids]
    tickets = [Ticket.model_validate(sandbox.ticket_json(r)) for r in records]
    [blocks] = b.digest_messages(
        tickets, link=stack.runtime.deps.link, now=datetime.now(UTC), description="test digest"
    )
    posted = await stack.runtime.slack.chat_postMessage(
        channel=CHANNEL, blocks=blocks, text=b.digest_text(len(tickets), "test digest")
    )
    message = stack.slack.message(CHANNEL, posted["ts"])
    assert message is not None
    return message


def _others(blocks: list[JSON], ticket_id: str) -> list[JSON]:
    """The blocks that are not the item of `ticket_id` (its section, buttons, state)."""
    mine = {item_block_id(ticket_id), actions_block_id(ticket_id), state_block_id(ticket_id)}
    return [blk for blk in blocks if blk.get("block_id") not in mine]


async def click_in_channel(stack: Stack, action_id: str, ticket_id: str, message: JSON) -> JSON:
    """Click a button on a channel message; return the message after the bot's chat.update."""
    before = len(stack.slack.calls("chat.update"))
    assert_ack(await stack.sender.action(action_id, ticket_id, message=message))
    [*_, call] = await stack.slack.wait_for("chat.update", before + 1, timeout=8.0)
    assert call.ok, call.response
    updated = stack.slack.message(CHANNEL, message["ts"])
    assert updated is not None
    return updated


async def test_digest_buttons_redraw_only_their_item(stack: Stack) -> None:
    sandbox = stack.mava.sandbox
    first = new_ticket(stack, priority=3, messages=["First customer"])
    second = new_ticket(stack, priority=3, messages=["Second customer"])
    message = await _post_digest(stack, [first, second])
    original = message["blocks"]
    assert (
        _buttons(original, first)
        == _buttons(original, second)
        == [
            "ticket_reply",
            "ticket_note",
            "ticket_assign_me",
            "ticket_resolve",
            "ticket_follow",
        ]
    )

    resolved = await click_in_channel(stack, "ticket_resolve", first, message)
    assert mava_ticket(stack, first)["status"] == "Resolved"
    assert mava_ticket(stack, second)["status"] == "Open"
    assert _others(resolved["blocks"], first) == _others(original, first)
    assert f"Resolved by <@{JANE}>" in shown(resolved["blocks"])
    assert _buttons(resolved["blocks"], first) == ["ticket_reply", "ticket_note", "ticket_follow"]
    assert resolved["text"] == message["text"]
    # Only the item's buttons answer through chat.update; nothing ephemeral was said.
    assert stack.slack.responses() == []

    assigned = await click_in_channel(stack, "ticket_assign_me", second, resolved)
    assert mava_ticket(stack, second)["assignedTo"] == sandbox.agent_id("jane@example.com")
    assert _others(assigned["blocks"], second) == _others(resolved["blocks"], second)
    assert f"Assigned to <@{JANE}>" in shown(assigned["blocks"])
    assert "ticket_assign_me" not in _buttons(assigned["blocks"], second)
    assert "ticket_resolve" in _buttons(assigned["blocks"], second)

    rows = [r for r in await audit_rows(stack) if r.ticket_id in (first, second)]
    assert [(r.ticket_id, r.action, r.outcome) for r in rows] == [
        (first, "resolve", "ok"),
        (second, "assign", "ok"),
    ]


@pytest.mark.parametrize(
    ("action_id", "callback_id"), [("ticket_reply", "reply_modal"), ("ticket_note", "note_modal")]
)
async def test_reply_and_note_buttons_open_the_editor(
    stack: Stack, action_id: str, callback_id: str
) -> None:
    ticket = new_ticket(stack, messages=["Where is my order?"])
    message = await _post_digest(stack, [ticket])
    assert_ack(await stack.sender.action(action_id, ticket, message=message))
    await stack.slack.wait_for("views.open")
    [opened] = views_opened(stack)
    view = await view_update(stack, opened["id"])
    assert view["callback_id"] == callback_id
    assert ticket in view["private_metadata"]
    assert "Where is my order?" in shown(view)


async def test_a_button_error_is_said_without_touching_the_message(stack: Stack) -> None:
    ticket = new_ticket(stack)
    message = await _post_digest(stack, [ticket])
    stack.mava.sandbox.inject(
        "status", status=400, body={"error": "Ticket not found"}, path="/api/ticket"
    )
    assert_ack(await stack.sender.action("ticket_resolve", ticket, message=message))
    target = target_of(stack.sender.last_response_url)
    [call] = await stack.slack.wait_for(
        "response_url", predicate=lambda c: c.target == target, timeout=8.0
    )
    assert f"Ticket {ticket} was not found in Mava" in flat(shown(call.params))
    assert call.params["replace_original"] is False
    assert stack.slack.calls("chat.update") == []
    assert stack.slack.message(CHANNEL, message["ts"]) == message


# --- a card gone stale: the ticket changed in Mava since it was drawn --------------------


async def test_resolve_on_a_stale_digest_item_says_it_is_already_resolved(stack: Stack) -> None:
    ticket = new_ticket(stack, priority=3)
    message = await _post_digest(stack, [ticket])
    stack.mava.sandbox.dashboard(ticket, status="Resolved")  # meanwhile, in the dashboard
    stack.mava.sandbox.reset_requests()

    updated = await click_in_channel(stack, "ticket_resolve", ticket, message)
    said = flat(shown(updated["blocks"]))
    assert f"Ticket {ticket} is already resolved; nothing was changed." in said
    assert "Resolved by" not in said
    # The item is redrawn as the ticket is now: no Resolve or Assign button left.
    assert _buttons(updated["blocks"], ticket) == ["ticket_reply", "ticket_note", "ticket_follow"]
    assert writes(stack, "/api/ticket") == []
    [row] = await audit_rows(stack, ticket)
    assert (row.action, row.outcome) == ("resolve", "unchanged")


async def test_resolve_on_a_stale_card_shows_the_ticket_as_it_is(stack: Stack) -> None:
    ticket = new_ticket(stack)
    await run(stack, f"show {ticket}")
    stack.mava.sandbox.dashboard(ticket, status="Resolved")
    redrawn = await click_on_card(stack, "ticket_resolve", ticket)
    said = flat(shown(redrawn))
    assert f"Ticket {ticket} is already resolved; nothing was changed." in said
    assert "*Status* Resolved" in said
    assert writes(stack, "/api/ticket") == []


async def test_assign_to_me_on_a_ticket_already_mine_changes_nothing(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.mava.sandbox.dashboard(ticket, assignee="Jane Smith")
    redrawn = await click_on_card(stack, "ticket_assign_me", ticket)
    said = flat(shown(redrawn))
    assert f"Ticket {ticket} is already assigned to you; nothing was changed." in said
    assert "*Assignee* Jane Smith" in said
    assert writes(stack, "/api/ticket") == []
    [row] = await audit_rows(stack, ticket)
    assert (row.action, row.outcome) == ("assign", "unchanged")
