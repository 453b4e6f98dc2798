"""Faster without webhooks (#19): thread sync and the desk run as often as their share
of the Mava budget allows after what they last read (delivery.pacing), so a team with
no public URL for Mava's webhooks still sees a customer's message within seconds;
many followed tickets (more pages) slow the sync down, and people's commands keep
their reserve while it runs at full speed. No webhooks here: polling alone."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from running import wait_for
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.scheduler import THREAD_JOB
from mava_bridge.domain.send_window import FLOOR
from mava_bridge.store import follows
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, RESPONSE_URL
from mava_sandbox.stack import Stack

from .conftest import CHANNEL, flat, new_ticket, run, scenario_stack, send, shown

pytestmark = pytest.mark.asyncio

MINUTE = 60.0  # THREAD_SYNC_SECONDS / DESK_REFRESH_SECONDS here: the longest interval


def synced_pages(stack: Stack) -> float:
    """Mava requests the thread sync made so far (its Prometheus counter)."""
    value = stack.runtime.metrics.registry.get_sample_value("thread_sync_pages_total")
    return value or 0.0


def sync_wait(stack: Stack) -> float:
    return stack.runtime.delivery.scheduler.pacing.wait(THREAD_JOB)


def job_interval(stack: Stack) -> timedelta:
    scheduler = stack.runtime.delivery.scheduler.scheduler
    job = scheduler.get_job(THREAD_JOB) if scheduler else None
    assert job is not None
    interval: timedelta = job.trigger.interval
    return interval


async def follow_many(stack: Stack, count: int) -> list[str]:
    """`count` new open tickets followed in CHANNEL (each with its card), as `/mava
    follow` leaves them."""
    sandbox = stack.mava.sandbox
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stack.slack.api_url)
    made = [str(sandbox.add_ticket(status="Open")["_id"]) for _ in range(count)]
    cards = await asyncio.gather(
        *(client.chat_postMessage(channel=CHANNEL, text=f"card {t}") for t in made)
    )
    for ticket, card in zip(made, cards, strict=True):
        await follows.follow(
            stack.runtime.db,
            ticket_id=ticket,
            channel_id=CHANNEL,
            thread_ts=card["ts"],
            ticket_created_at=sandbox._by_id[ticket]["createdAt"],
            followed_by="U0JANE",
            now=datetime.now(UTC),
        )
    return made


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
            await wait_for(lambda: sync_wait(stack) > 3.0, 20.0, "a sync of many pages")
            pages = round(sync_wait(stack) / 3.0)
            assert pages >= 5
            assert job_interval(stack) == timedelta(seconds=sync_wait(stack))
            # The sync now spends at most its share: over the next 30 s, 10 requests
            # (and the one sync that may straddle the window's start).
            before, started = synced_pages(stack), time.monotonic()
            await wait_for(lambda: time.monotonic() - started > 30.0, 35.0, "30 s")
            assert synced_pages(stack) - before <= 10 + pages
        finally:
            await stack.runtime.stop_background()


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
