"""Faster without webhooks (#19): thread sync and the desk run as often as their share
of the Mava budget allows after what they last read (delivery.pacing), so a team with
no public URL for Mava's webhooks still sees a customer's message within seconds, and
many followed tickets (more pages) slow the sync down. No webhooks here: polling alone.
(People's commands at full polling speed: test_live_pace_commands.py, a file of its own
so that its 30 s run on another xdist worker than these.)"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from running import wait_for

from mava_bridge.domain.send_window import FLOOR

from .conftest import CHANNEL, flat, new_ticket, run, scenario_stack, shown
from .pace_helpers import MINUTE, follow_many, job_interval, sync_wait, synced_pages

pytestmark = pytest.mark.asyncio


async def test_a_customer_message_reaches_the_thread_long_before_the_longest_interval() -> None:
    async with scenario_stack(
        mava_rate_limit=90, thread_sync_seconds=MINUTE, desk_refresh_seconds=MINUTE
    ) as stack:
        assert stack.runtime.delivery.nudges is None  # no webhook key: polling alone
        ticket = new_ticket(stack, messages=["Where is my parcel?"])
        said = await run(stack, f"follow {ticket}")
        assert "Following ticket" in flat(shown(said))
        [card] = [m for m in stack.slack.messages(CHANNEL) if ticket in str(m.get("blocks"))]
        await stack.runtime.start_background()
        try:
            # One followed ticket is one page: a third of 90 per 30 s allows it every
            # second, so the sync runs at the floor, not every minute.
            await wait_for(lambda: synced_pages(stack) >= 2, 10.0, "two syncs")
            assert sync_wait(stack) == FLOOR and job_interval(stack) == timedelta(seconds=FLOOR)
            started = time.monotonic()
            stack.mava.sandbox.customer_writes(ticket, "Any news on my parcel?")

            def arrived() -> bool:
                thread = stack.slack.thread(CHANNEL, str(card["ts"]))
                return any("Any news on my parcel?" in flat(shown(m)) for m in thread[1:])

            await wait_for(arrived, 20.0, "the customer's message in the thread")
            lag = time.monotonic() - started
            assert lag < 6.0, lag  # THREAD_SYNC_SECONDS is 60
        finally:
            await stack.runtime.stop_background()


async def test_with_many_followed_tickets_the_sync_waits_longer() -> None:
    # 30 per 30 s: thread sync's third is 10 requests per 30 s, 3 s a page.
    async with scenario_stack(
        mava_rate_limit=30, thread_sync_seconds=MINUTE, desk_refresh_seconds=MINUTE
    ) as stack:
        await follow_many(stack, 1)
        await stack.runtime.start_background()
        try:
            await wait_for(lambda: synced_pages(stack) >= 1, 10.0, "the first sync")
            assert sync_wait(stack) == 3.0  # one page
            await follow_many(stack, 450)  # five pages of 100 now
            # A sync may run while they are being followed (one at a time) and read fewer
            # pages: the wait is for one that read all of them.
            await wait_for(lambda: sync_wait(stack) >= 5 * 3.0, 30.0, "a sync of 5 pages")
            pages = round(sync_wait(stack) / 3.0)
            assert job_interval(stack) == timedelta(seconds=sync_wait(stack))
            # The sync now spends at most its share: over the next 30 s, 10 requests
            # (and the one sync that may straddle the window's start).
            before, started = synced_pages(stack), time.monotonic()
            await wait_for(lambda: time.monotonic() - started > 30.0, 35.0, "30 s")
            assert synced_pages(stack) - before <= 10 + pages
        finally:
            await stack.runtime.stop_background()
