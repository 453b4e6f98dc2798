"""Helpers the polling-pace scenario tests share (test_live_pace*.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.delivery.scheduler import THREAD_JOB
from mava_bridge.store import follows
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN
from mava_sandbox.stack import Stack

from .conftest import CHANNEL

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
