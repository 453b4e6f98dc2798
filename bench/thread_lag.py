"""Thread sync lag: a customer message written in Mava (the sandbox) until its reply is in
the followed ticket's Slack thread (the stub), with 1, 100 and 1,000 followed tickets at
the default THREAD_SYNC_SECONDS (15 s) and the default Mava budget (90 per 30 s), and
the Mava requests per hour the sync costs.

The whole bridge runs (`Bridge.build`, its scheduler started as `mava-bot run` does) on
SQLite; the followed tickets are spread over 10 channels (Slack posts 1 message per
second per channel). Customer messages are written one at a time, to random followed
tickets, at random moments over MEASURE_SECONDS, so each lands anywhere in the sync's
cycle. Lag runs from the write to the stub's receipt of the `chat.postMessage`.

    .venv/bin/python bench/thread_lag.py
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import UTC, datetime

from _common import percentile, write_section
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from mava_bridge.store import follows
from mava_bridge.store.tables import FollowedTicket
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN
from mava_sandbox.stack import running_stack

SIZES = (1, 100, 1_000)
CHANNELS = 10
MESSAGES = 40
MEASURE_SECONDS = 120.0
SETTLE_SECONDS = 40.0  # after the last write, for the last ones to arrive
INTERVAL = 15.0  # THREAD_SYNC_SECONDS' default
BUDGET_PER_HOUR = 90 * 3600 / 30


async def measure(size: int) -> dict[str, float]:
    async with running_stack(
        mava_options={"tickets": 0, "rate_limit": None}, mava_rate_limit=90
    ) as stack:
        sandbox, stub, runtime = stack.mava.sandbox, stack.slack, stack.runtime
        client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
        tickets = [str(sandbox.add_ticket(status="Open")["_id"]) for _ in range(size)]
        cards = await asyncio.gather(
            *(
                client.chat_postMessage(channel=f"C0LAG{n % CHANNELS:02d}", text=f"card {t}")
                for n, t in enumerate(tickets)
            )
        )
        now = datetime.now(UTC)
        for ticket, card in zip(tickets, cards, strict=True):
            await follows.follow(
                runtime.db,
                ticket_id=ticket,
                channel_id=card["channel"],
                thread_ts=card["ts"],
                ticket_created_at=sandbox._by_id[ticket]["createdAt"],
                followed_by="bench",
                now=now,
            )
        await asyncio.sleep(0.05)
        await runtime.start_background()
        try:
            await _first_sync_done(runtime.db, size)
            sandbox.reset_requests()
            started = time.monotonic()
            written: dict[str, float] = {}
            gaps = sorted(random.uniform(0, MEASURE_SECONDS) for _ in range(MESSAGES))
            for n, at in enumerate(gaps):
                await asyncio.sleep(max(0.0, started + at - time.monotonic()))
                marker = f"lag-{n}"
                sandbox.customer_writes(random.choice(tickets), marker)
                written[marker] = time.time()
            deadline = time.monotonic() + SETTLE_SECONDS
            arrived: dict[str, float] = {}
            while time.monotonic() < deadline and len(arrived) < len(written):
                arrived = _arrivals(stub.calls("chat.postMessage"), written)
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - started
            searches = sum(1 for r in sandbox.requests if r.path == "/api/tickets")
        finally:
            await runtime.stop_background()
        lags = [arrived[m] - written[m] for m in arrived]
        return {
            "arrived": len(arrived),
            "p50": percentile(lags, 50) if lags else float("nan"),
            "p99": percentile(lags, 99) if lags else float("nan"),
            "max": max(lags) if lags else float("nan"),
            "requests": searches,
            "per_hour": searches / elapsed * 3600,
            "elapsed": elapsed,
        }


def _arrivals(calls: list, written: dict[str, float]) -> dict[str, float]:
    found: dict[str, float] = {}
    for call in calls:
        if not call.ok:
            continue
        text = str(call.params.get("text") or "")
        for marker in written:
            if text.endswith(f": {marker}") and marker not in found:
                found[marker] = call.time
    return found


async def _first_sync_done(db: object, size: int) -> None:
    """Until every follow had its first sync (its messages so far: baseline)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        async with db.session() as session:  # type: ignore[attr-defined]
            synced = await session.scalar(
                select(func.count()).where(FollowedTicket.synced_at.is_not(None))
            )
        if synced >= size:
            return
        await asyncio.sleep(0.5)
    raise TimeoutError("the first sync did not finish")


async def main() -> None:
    random.seed(13)
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    rows = [
        "| followed tickets | messages arrived | lag p50 | lag p99 | lag max | Mava requests"
        " (window) | Mava requests per hour | share of the key's budget |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for size in sizes:
        got = await measure(size)
        share = got["per_hour"] / BUDGET_PER_HOUR
        rows.append(
            f"| {size} | {got['arrived']:.0f}/{MESSAGES} | {got['p50']:.1f} s | {got['p99']:.1f} s"
            f" | {got['max']:.1f} s | {got['requests']:.0f} ({got['elapsed']:.0f} s)"
            f" | {got['per_hour']:,.0f} | {share:.0%} |"
        )
        verdicts.append(
            got["arrived"] == MESSAGES and got["p99"] <= INTERVAL + 5 and share <= 1 / 3
        )
    body = (
        f"`mava-bot run`'s assembly (`Bridge.build`, scheduler started) on SQLite, sandbox "
        f"with only the followed tickets (each open, created now), followed tickets spread "
        f"over {CHANNELS} channels, THREAD_SYNC_SECONDS={INTERVAL:.0f} (default), "
        f"MAVA_RATE_LIMIT=90 per 30 s (default; a third = 3,600 requests/h). {MESSAGES} "
        f"customer messages written at random moments over {MEASURE_SECONDS:.0f} s to random "
        "followed tickets; lag = write -> the stub's receipt of the thread reply. Requests "
        "per hour = GET /api/tickets counted in the sandbox over the window, scaled.\n\n"
    )
    body += "\n".join(rows)
    body += (
        f"\n\nTargets: every message arrives, p99 <= {INTERVAL:.0f} + 5 s, at most a third "
        f"of the key's budget at 1,000 followed. Result: **{'PASS' if all(verdicts) else 'FAIL'}**"
    )
    write_section("thread_lag", body)


if __name__ == "__main__":
    asyncio.run(main())
