"""Faster without webhooks (#19): while thread sync and the desk poll Mava as fast as
their shares of the budget allow, people's commands keep their reserve. No webhooks
here: polling alone (the pace itself: test_live_pace.py)."""

from __future__ import annotations

import asyncio
import time

import pytest
from running import wait_for

from mava_bridge.domain.send_window import FLOOR
from mava_sandbox.slack_stub import RESPONSE_URL

from .conftest import scenario_stack, send
from .pace_helpers import MINUTE, follow_many, sync_wait, synced_pages

pytestmark = pytest.mark.asyncio


async def test_a_command_is_answered_promptly_while_polling_runs_at_full_speed() -> None:
    """Mava's real budget (90 per 30 s, the sandbox enforcing it too): 500 followed
    tickets make every sync several pages, so thread sync runs as fast as its third
    allows, the desk its sixth; a person's `/mava show` still comes back within 2 s."""
    async with scenario_stack(
        mava_rate_limit=90,
        thread_sync_seconds=MINUTE,
        desk_refresh_seconds=MINUTE,
        mava_options={"rate_limit": 90, "rate_window": 30.0},
    ) as stack:
        tickets = await follow_many(stack, 500)
        await stack.runtime.start_background()
        try:
            await wait_for(lambda: synced_pages(stack) >= 12, 60.0, "syncs at full speed")
            assert sync_wait(stack) > FLOOR  # paced by its pages: the third is the limit
            stack.mava.sandbox.reset_requests()
            before, started = synced_pages(stack), time.monotonic()
            waits = []
            for ticket in tickets[:5]:
                sent_at = time.monotonic()
                sent = await send(stack, f"show {ticket}")
                answer = await stack.slack.wait_for(
                    RESPONSE_URL, 1, timeout=8.0, predicate=lambda c, t=sent.target: c.target == t
                )
                waits.append(time.monotonic() - sent_at)
                assert ticket in str(answer[0].params)
                await asyncio.sleep(1.0)
            elapsed = time.monotonic() - started
            assert max(waits) < 2.0, waits
            # The sandbox counted the polling's reads meanwhile: thread sync near its
            # third (30 per 30 s), and Mava never said 429.
            synced = synced_pages(stack) - before
            assert synced / elapsed * 30.0 >= 15.0, (synced, elapsed)
            requests = stack.mava.sandbox.requests
            assert sum(1 for r in requests if r.path == "/api/tickets") >= synced
            assert not [r for r in requests if r.status == 429]
        finally:
            await stack.runtime.stop_background()
