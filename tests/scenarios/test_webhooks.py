"""Mava's webhooks (#19) through the whole bridge: the sandbox signs and POSTs them like
Mava to `POST /mava/webhook`, and a verified one makes the leader read Mava now.

Every interval here is an hour, so only a webhook's nudge can explain a thread that
catches up; the scheduler still ran each job once at start."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from running import wait_for

from mava_bridge.delivery.nudges import Nudges
from mava_sandbox.mava_webhooks import MavaWebhooks
from mava_sandbox.stack import Stack

from .conftest import (
    CHANNEL,
    MISSING_TICKET,
    OMAR,
    flat,
    new_ticket,
    reset,
    run,
    scenario_stack,
    shown,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

HOUR = 3600.0
SLOW = {"thread_sync_seconds": HOUR, "desk_refresh_seconds": HOUR, "poll_interval_seconds": HOUR}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hooked() -> AsyncIterator[Stack]:
    async with scenario_stack(webhooks=True, **SLOW) as stack:
        await stack.runtime.start_background()
        try:
            yield stack
        finally:
            await stack.runtime.stop_background()


@pytest.fixture
def stack(hooked: Stack) -> Stack:
    assert hooked.webhooks is not None
    hooked.webhooks.cipher, hooked.webhooks.drop, hooked.webhooks.duplicates = (
        "aes-256-cbc",
        False,
        False,
    )
    return reset(hooked)


def hooks(stack: Stack) -> MavaWebhooks:
    assert stack.webhooks is not None
    return stack.webhooks


def nudges(stack: Stack) -> Nudges:
    assert stack.runtime.delivery.nudges is not None
    return stack.runtime.delivery.nudges


def bot_replies(stack: Stack, thread: str) -> list[str]:
    return [
        flat(shown(m))
        for m in stack.slack.thread(CHANNEL, thread)
        if m.get("bot_id") and m["ts"] != thread
    ]


async def followed(stack: Stack) -> tuple[str, str]:
    """A new ticket followed in CHANNEL: (ticket id, its thread), quiet again."""
    ticket = new_ticket(stack, messages=["My parcel is lost"])
    said = await run(stack, f"follow {ticket}")
    assert "Following ticket" in flat(shown(said))
    [card] = [m for m in stack.slack.messages(CHANNEL) if ticket in json.dumps(m.get("blocks"))]
    await settled(stack)
    return ticket, str(card["ts"])


async def settled(stack: Stack) -> None:
    """Every webhook sent so far answered, and the nudges they caused run."""
    await hooks(stack).settle()
    # Generous: a burst's 10 replies to one thread go at Slack's 1 post a second (9 s).
    await wait_for(lambda: not nudges(stack).pending(), 20.0, "the nudges to run")


async def post(stack: Stack, body: Any, **options: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{stack.base_url}/mava/webhook", json=body, **options)


def reads(stack: Stack) -> int:
    return sum(1 for r in stack.mava.sandbox.requests if r.path == "/api/tickets")


@pytest.mark.parametrize("cipher", ["aes-256-cbc", "aes-256-gcm", "opaque"])
async def test_a_customer_message_reaches_the_thread_on_the_webhook(
    stack: Stack, cipher: Any
) -> None:
    """Whether the payload can be read (cbc: the setting's mode) or not (gcm, opaque:
    the bridge's MAVA_WEBHOOK_CIPHER is cbc), the nudge brings the message."""
    ticket, thread = await followed(stack)
    hooks(stack).cipher = cipher
    started = time.monotonic()
    stack.mava.sandbox.customer_writes(ticket, f"Any news? ({cipher})")
    await wait_for(
        lambda: any(f"Any news? ({cipher})" in text for text in bot_replies(stack, thread)),
        10.0,
        "the customer's message in the thread",
    )
    lag = time.monotonic() - started
    assert lag < 5.0, lag  # the interval is an hour: only the webhook explains it
    assert [d.status for d in hooks(stack).sent[-1:]] == [200]


async def test_a_dashboard_assignment_is_dmed_on_the_webhook_without_a_thread_sync(
    stack: Stack,
) -> None:
    """The webhook's ticket is read by id into the open board, so the DM does not wait
    for the board's next whole read; Mava returned it, so it is real and, not followed,
    costs no thread sync of every followed ticket."""
    await followed(stack)  # something followed that a sync of all would read
    ticket = new_ticket(stack, messages=["Where is my refund?"])
    await settled(stack)
    pages = stack.runtime.metrics.registry.get_sample_value("thread_sync_pages_total")
    started = time.monotonic()
    stack.mava.sandbox.dashboard(ticket, assignee="Omar Haddad")

    def dmed() -> bool:
        return any(ticket in json.dumps(m) for m in stack.slack.messages(OMAR))

    await wait_for(dmed, 10.0, "the assignee's DM")
    assert time.monotonic() - started < 5.0
    await settled(stack)
    assert stack.runtime.metrics.registry.get_sample_value("thread_sync_pages_total") == pages


async def test_a_webhook_naming_a_ticket_mava_does_not_find_is_no_failure(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    """Deleted since, or the payload's id is not a ticket's: the nudge searches as for
    an unreadable payload, and nothing is logged as a failure."""
    runs = nudges(stack).runs
    event = {"type": "message.created", "document": {"ticket": MISSING_TICKET}}
    with caplog.at_level(logging.INFO, logger="mava_bridge.delivery.nudges"):
        assert (await post(stack, hooks(stack).envelope(event))).status_code == 200
        await wait_for(lambda: nudges(stack).runs > runs, 10.0, "a nudged run")
        await settled(stack)
    assert any("webhook nudge: Mava read now" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_lost_webhook_is_caught_up_by_polling(stack: Stack) -> None:
    ticket, thread = await followed(stack)
    hooks(stack).drop = True
    stack.mava.sandbox.customer_writes(ticket, "Hello? (lost)")
    await settled(stack)
    assert not any("(lost)" in text for text in bot_replies(stack, thread))
    await stack.runtime.delivery.scheduler.run_threads()  # the interval's run, when it comes
    assert any("(lost)" in text for text in bot_replies(stack, thread))


async def test_a_repeated_webhook_is_answered_and_nothing_more(stack: Stack) -> None:
    ticket, _thread = await followed(stack)
    envelope = hooks(stack).envelope({"type": "message.created", "document": {"ticket": ticket}})
    first = await post(stack, envelope)
    assert first.status_code == 200
    await settled(stack)
    runs, before = nudges(stack).runs, reads(stack)
    again = await post(stack, envelope)
    assert again.status_code == 200
    # Two looks later (each a second at most), the repeat caused no run and no read.
    await asyncio.sleep(2.5)
    assert (nudges(stack).runs, reads(stack)) == (runs, before)


async def test_webhooks_arriving_together_make_at_most_two_runs(stack: Stack) -> None:
    ticket, thread = await followed(stack)
    runs = nudges(stack).runs
    for number in range(10):
        stack.mava.sandbox.customer_writes(ticket, f"burst {number}")
    await settled(stack)
    assert 1 <= nudges(stack).runs - runs <= 2
    texts = bot_replies(stack, thread)
    assert [n for n in range(10) if any(f"burst {n}" in t for t in texts)] == list(range(10))


async def test_refusals(stack: Stack) -> None:
    good = hooks(stack).envelope({"type": "ticket.updated", "document": {"_id": "x"}})
    forged = {**good, "signature": "0" * 64}
    other = MavaWebhooks(stack.mava.sandbox)  # a different RSA key pair
    foreign = other.envelope({"type": "ticket.updated", "document": {}})
    missing = {k: v for k, v in good.items() if k != "webhookId"}
    runs, before = nudges(stack).runs, reads(stack)
    assert (await post(stack, forged)).status_code == 401
    assert (await post(stack, foreign)).status_code == 401
    assert (await post(stack, missing)).status_code == 400
    async with httpx.AsyncClient() as client:
        url = f"{stack.base_url}/mava/webhook"
        assert (await client.post(url, content=b"not json")).status_code == 400
        big = b"{" + b" " * (1024 * 1024) + b"}"
        assert (await client.post(url, content=big)).status_code == 413
    await asyncio.sleep(1.5)  # a look: none of them was recorded
    assert (nudges(stack).runs, reads(stack)) == (runs, before)


async def test_a_verified_webhook_is_answered_within_a_second(stack: Stack) -> None:
    envelope = hooks(stack).envelope({"type": "ticket.created", "document": {}})
    started = time.monotonic()
    response = await post(stack, envelope)
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0
    await settled(stack)


async def test_without_the_key_the_path_is_not_served() -> None:
    async with scenario_stack() as plain:
        assert plain.runtime.delivery.nudges is None
        other = MavaWebhooks(plain.mava.sandbox)
        envelope = other.envelope({"type": "ticket.created", "document": {}})
        assert (await post(plain, envelope)).status_code == 404


async def test_socket_mode_serves_the_webhook_door_too() -> None:
    async with scenario_stack(webhooks=True, socket_mode=True, **SLOW) as sock:
        await sock.runtime.start_background()
        try:
            assert sock.socket is not None
            ticket = new_ticket(sock, messages=["Where is my order?"])
            # /slack/events is not served in Socket Mode; /mava/webhook is.
            async with httpx.AsyncClient() as client:
                assert (await client.post(sock.url, content=b"{}")).status_code == 404
            await hooks(sock).settle()
            await wait_for(lambda: not nudges(sock).pending(), 10.0, "the nudges to run")
            runs = nudges(sock).runs
            sock.mava.sandbox.customer_writes(ticket, "Hello again")
            await hooks(sock).settle()
            assert [d.status for d in hooks(sock).sent[-1:]] == [200]
            await wait_for(lambda: nudges(sock).runs > runs, 10.0, "a nudged run")
        finally:
            await sock.runtime.stop_background()
