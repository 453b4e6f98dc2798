"""Reactions across a restart: Slack redelivers a reaction the old process had already
acted on (same event) to the new one, which shares its database: no second Mava call,
nothing said twice. Over signed HTTP and over Socket Mode."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from mava_bridge.store.follows import follow_for_thread
from mava_sandbox.stack import Stack

from .conftest import CHANNEL, JANE, assert_ack, idle, mava_ticket, new_ticket, scenario_stack

JSON = dict[str, Any]


async def deliver(stack: Stack, event: JSON, event_id: str, retry: int = 0) -> None:
    if stack.socket is not None:
        again = {"retry_attempt": retry, "retry_reason": "timeout"} if retry else {}
        envelope = await stack.socket.send_event(event, event_id=event_id, **again)
        await envelope.acked()
    else:
        assert_ack(await stack.sender.event(event, event_id=event_id, retry_num=retry or None))
    await idle(stack)


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket"])
async def test_a_reaction_redelivered_after_a_restart_acts_no_more(
    tmp_path: Path, socket_mode: bool, caplog: pytest.LogCaptureFixture
) -> None:
    options: JSON = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "socket_mode": socket_mode,
        "alert_channel": CHANNEL,
        "alert_min_priority": "high",
    }
    async with scenario_stack(**options) as before:
        await before.runtime.delivery.poller.poll_once()  # the seeded tickets: baseline
        ticket = new_ticket(before, priority=3, messages=["Checkout fails"])
        assert (await before.runtime.delivery.poller.poll_once()).alerted == 1
        [card] = [m for m in before.slack.messages(CHANNEL) if ticket in str(m.get("blocks"))]
        event = before.slack.user_reaction(CHANNEL, card["ts"], JANE, "eyes")
        await deliver(before, event, "EvREACT001")
        jane = before.mava.sandbox.agent_id("jane@example.com")
        assert mava_ticket(before, ticket)["assignedTo"] == jane
        assert len(before.slack.ephemerals(JANE)) == 1
    async with scenario_stack(**options) as after:
        after.mava.sandbox.reset_requests()
        assert await follow_for_thread(after.runtime.db, CHANNEL, card["ts"]) is not None
        caplog.clear()
        caplog.set_level(logging.INFO, logger="mava_bridge.slack.actions")
        await deliver(after, event, "EvREACT001", retry=1)  # Slack's retry reaches the new one
        assert after.mava.sandbox.requests == []
        assert after.slack.ephemerals() == []
        assert after.slack.calls("chat.update") == []
        assert "reaction delivered again; already handled" in caplog.text
