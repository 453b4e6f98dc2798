"""Work handed off after an ack is finished on shutdown, and its failures are logged."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from mava_bridge.slack.inflight import MAX_DEFER_SECONDS, InFlight
from mava_sandbox.stack import running_stack


def agent_messages(ticket: dict[str, object]) -> list[dict[str, object]]:
    messages = ticket["messages"]
    assert isinstance(messages, list)
    return [m for m in messages if m.get("senderType") == "agent"]


async def test_drain_waits_for_a_reply_acked_before_shutdown_and_refuses_new_work() -> None:
    async with running_stack(mava_rate_limit=100_000) as stack:
        ticket = stack.mava.sandbox.add_ticket(status="Open")
        stack.mava.sandbox.latency = 0.8  # the reply is still on its way to Mava
        ack = await stack.sender.command(f"reply {ticket['_id']} On it, one moment")
        assert ack.status_code == 200
        assert agent_messages(stack.mava.sandbox.get(str(ticket["_id"]))) == []

        started = time.monotonic()
        drain = asyncio.create_task(stack.runtime.drain(10.0))
        await asyncio.sleep(0.05)
        late = await stack.sender.command(f"reply {ticket['_id']} Too late")
        assert await drain is True

        assert time.monotonic() - started >= 0.5  # it waited for Mava, not just returned
        assert late.status_code == 503  # Slack retries it on another replica
        sent = agent_messages(stack.mava.sandbox.get(str(ticket["_id"])))
        assert [m["content"] for m in sent] == ["On it, one moment"]


async def test_a_failing_handler_is_logged_and_does_not_keep_the_drain_waiting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inflight = InFlight()
    release = asyncio.Event()

    async def slow() -> None:
        await release.wait()

    async def broken() -> None:
        raise RuntimeError("bug in a handler")

    inflight.spawn(slow(), name="command")
    inflight.spawn(broken(), name="view")
    assert inflight.count == 2
    with caplog.at_level(logging.ERROR, logger="mava_bridge.slack"):
        assert await inflight.wait_idle(0.05) is False  # `slow` is still running
        release.set()
        assert await inflight.wait_idle(1.0) is True
    assert inflight.count == 0
    failures = [r for r in caplog.records if r.getMessage() == "handler failed"]
    assert len(failures) == 1
    assert getattr(failures[0], "handler", None) == "view"
    assert failures[0].exc_info is not None
    assert "bug in a handler" in str(failures[0].exc_info[1])


async def test_handed_off_work_waits_for_a_burst_of_requests_but_not_forever() -> None:
    inflight = InFlight()
    loop = asyncio.get_running_loop()
    started: dict[str, float] = {}

    async def work(name: str) -> None:
        started[name] = loop.time()

    async def requests_for(seconds: float) -> float:
        """Slack requests every millisecond; returns when the last one arrived."""
        end = last = loop.time() + seconds
        while (now := loop.time()) < end:
            last = now
            inflight.request_arrived()
            await asyncio.sleep(0.001)
        return last

    # A short burst: the work starts once it is over.
    inflight.spawn(work("after a burst"), name="command")
    last = await requests_for(0.04)
    await inflight.wait_idle(1.0)
    assert started["after a burst"] >= last

    # Requests that never pause: the work starts anyway, long before they end.
    inflight.spawn(work("under steady load"), name="command")
    last = await requests_for(MAX_DEFER_SECONDS + 0.6)
    assert started["under steady load"] < last - 0.3
