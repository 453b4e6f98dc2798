"""Webhook lag (#19): a customer message written in Mava (the sandbox) until its reply is
in the followed ticket's Slack thread, when the sandbox sends Mava's signed webhooks to
the bot's POST /mava/webhook and every interval is an hour (so only the nudge can explain
an arrival); then 10 messages within 100 ms, and how many nudged runs they made.

Why: thread_lag measures polling (lag up to THREAD_SYNC_SECONDS); a verified webhook
should bring it to about one thread sync's time, while the Mava requests stay bounded.

    .venv/bin/python bench/webhook_lag.py
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime

from _common import percentile, write_section
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.store import follows
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN
from mava_sandbox.stack import running_stack

FOLLOWED = 10
MESSAGES = 30
MEASURE_SECONDS = 60.0
HOUR = 3600.0


async def main() -> None:
    random.seed(19)
    async with running_stack(
        mava_options={"tickets": 0, "rate_limit": None},
        webhooks=True,
        mava_rate_limit=90,
        thread_sync_seconds=HOUR,
        desk_refresh_seconds=HOUR,
        poll_interval_seconds=HOUR,
    ) as stack:
        sandbox, stub, runtime, hooks = (
            stack.mava.sandbox,
            stack.slack,
            stack.runtime,
            stack.webhooks,
        )
        assert hooks is not None and runtime.delivery.nudges is not None
        nudges = runtime.delivery.nudges
        client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
        tickets = [str(sandbox.add_ticket(status="Open")["_id"]) for _ in range(FOLLOWED)]
        for ticket in tickets:
            card = await client.chat_postMessage(channel="C0HOOKLAG", text=f"card {ticket}")
            await follows.follow(
                runtime.db,
                ticket_id=ticket,
                channel_id="C0HOOKLAG",
                thread_ts=card["ts"],
                ticket_created_at=sandbox._by_id[ticket]["createdAt"],
                followed_by="bench",
                now=datetime.now(UTC),
            )
        await asyncio.sleep(0.05)
        await runtime.start_background()
        try:
            await asyncio.sleep(3.0)  # the start-up runs (and the creations' nudges) done
            sandbox.reset_requests()
            runs_before, sent_before = nudges.runs, len(hooks.sent)
            written: dict[str, float] = {}
            started = time.monotonic()
            for n, at in enumerate(
                sorted(random.uniform(0, MEASURE_SECONDS) for _ in range(MESSAGES))
            ):
                await asyncio.sleep(max(0.0, started + at - time.monotonic()))
                sandbox.customer_writes(random.choice(tickets), f"hook-{n}")
                written[f"hook-{n}"] = time.time()
            arrived = await _arrived(stub, written)
            elapsed = time.monotonic() - started
            reads = sum(1 for r in sandbox.requests if r.path == "/api/tickets")
            runs = nudges.runs - runs_before
            answers = [d.status for d in hooks.sent[sent_before:]]

            await asyncio.sleep(3.0)
            burst_runs = nudges.runs
            burst: dict[str, float] = {}
            for n in range(10):
                sandbox.customer_writes(tickets[n % FOLLOWED], f"burst-{n}")
                burst[f"burst-{n}"] = time.time()
                await asyncio.sleep(0.01)
            burst_arrived = await _arrived(stub, burst)
            burst_runs = nudges.runs - burst_runs
        finally:
            await runtime.stop_background()
    lags = sorted(arrived[m] - written[m] for m in arrived)
    burst_lags = sorted(burst_arrived[m] - burst[m] for m in burst_arrived)
    ok = (
        len(arrived) == MESSAGES
        and percentile(lags, 99) < 5.0
        and len(burst_arrived) == 10
        and 1 <= burst_runs <= 2
    )
    body = (
        f"`Bridge.build` with its scheduler and watcher started, SQLite, {FOLLOWED} followed "
        f"tickets, THREAD_SYNC_SECONDS / DESK_REFRESH_SECONDS / POLL_INTERVAL_SECONDS = 1 h "
        "(only a webhook's nudge can bring a message), MAVA_RATE_LIMIT=90 per 30 s. The "
        "sandbox POSTs a signed webhook (aes-256-cbc payload) on each change. "
        f"{MESSAGES} customer messages at random moments over {MEASURE_SECONDS:.0f} s; lag = "
        "write -> the stub's receipt of the thread reply. Then 10 messages 10 ms apart.\n\n"
        "| measure | value | target |\n|---|---|---|\n"
        f"| messages arrived | {len(arrived)}/{MESSAGES} | all |\n"
        f"| lag p50 / p99 / max | {percentile(lags, 50):.2f} s / {percentile(lags, 99):.2f} s"
        f" / {lags[-1]:.2f} s | p99 < 5 s (polling: up to 15 s) |\n"
        f"| webhooks answered 200 | {answers.count(200)}/{len(answers)} | all |\n"
        f"| nudged runs / GET /api/tickets over {elapsed:.0f} s | {runs} / {reads} | |\n"
        f"| burst of 10: arrived, nudged runs, lag max | {len(burst_arrived)}/10, {burst_runs},"
        f" {burst_lags[-1] if burst_lags else float('nan'):.2f} s | 10, 1-2 |\n\n"
        "The burst's 10 replies go to one channel, where the poster keeps to Slack's 1 post "
        "per second, so its last reply comes about 9 s after the write whatever the nudges "
        "do. The Mava requests include each nudged run's desk read and alert poll; "
        "MAVA_RATE_LIMIT's third is 30 per 30 s.\n\n"
        f"Result: **{'PASS' if ok else 'FAIL'}**"
    )
    write_section("webhook_lag", body)


async def _arrived(stub: object, written: dict[str, float]) -> dict[str, float]:
    found: dict[str, float] = {}
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline and len(found) < len(written):
        for call in stub.calls("chat.postMessage"):  # type: ignore[attr-defined]
            text = str(call.params.get("text") or "")
            for marker in written:
                if call.ok and text.endswith(f": {marker}") and marker not in found:
                    found[marker] = call.time
        await asyncio.sleep(0.1)
    return found


if __name__ == "__main__":
    asyncio.run(main())
