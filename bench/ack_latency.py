"""Ack latency under load: 200 concurrent `/mava reply` while Mava takes 2 s per call.

Slack needs the HTTP ack within 3 s; the bot acks before calling Mava, so the ack time
must not depend on Mava's latency. Target: p99 < 100 ms, and all 200 replies delivered.

The bot runs as `mava-bot run` in its own process (HTTP mode, SQLite), the Mava sandbox
and Slack stub in this one, and the load generator (`_loadgen.py`) in a third.

    .venv/bin/python bench/ack_latency.py
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

import httpx
from _bot import running_bot
from _common import percentile, write_section
from _loadgen import fire_in_subprocess, http_post

from mava_sandbox.mava_server import MavaSandbox, running_mava_sandbox
from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET, sign, slash_command
from mava_sandbox.slack_stub import RESPONSE_URL, running_slack_stub

REQUESTS = 200
ROUNDS = 3
MAVA_LATENCY = 2.0
USER, CHANNEL = "U0JANE", "C0SUPPORT"
DELIVERY_TIMEOUT = 180.0


def agent_replies(sandbox: MavaSandbox, ticket_ids: list[str]) -> int:
    count = 0
    for ticket_id in ticket_ids:
        ticket = sandbox.get(ticket_id)
        count += sum(
            1
            for m in ticket["messages"]
            if m.get("messageType") == "ExternalMessage" and m.get("senderType") == "agent"
        )
    return count


def server_side_acks(metrics_text: str) -> tuple[float, int]:
    """(sum of seconds, count) of the bot's own slack_ack_seconds histogram."""
    total = re.search(r"^slack_ack_seconds_sum (\S+)$", metrics_text, re.M)
    count = re.search(r"^slack_ack_seconds_count (\S+)$", metrics_text, re.M)
    return (float(total.group(1)) if total else 0.0, int(float(count.group(1))) if count else 0)


async def burst(
    bot_url: str, sandbox: MavaSandbox, response_url: str
) -> tuple[list[float], int, list[str]]:
    """One burst of REQUESTS replies on fresh tickets: (ack ms each, non-200s, tickets)."""
    sandbox.latency = 0.0
    tickets = [str(sandbox.add_ticket()["_id"]) for _ in range(REQUESTS)]
    sandbox.latency = MAVA_LATENCY
    requests = []
    for i, ticket in enumerate(tickets):
        body = slash_command(
            f"reply {ticket} Benchmark reply number {i}",
            user_id=USER,
            channel_id=CHANNEL,
            response_url=response_url,
        )
        requests.append(http_post(bot_url, body, sign(DEFAULT_SIGNING_SECRET, body)))
    results = await fire_in_subprocess(bot_url, requests)
    return [s * 1000 for s, _ in results], sum(1 for _, c in results if c != 200), tickets


async def main() -> None:
    rows = []
    all_acks: list[float] = []
    non_200 = delivered = 0
    async with (
        running_mava_sandbox(tickets=0, rate_limit=None) as mava,
        running_slack_stub() as slack,
        running_bot(mava, slack, MAVA_RATE_LIMIT="10000") as bot,
    ):
        sandbox = mava.sandbox
        for round_number in range(1, ROUNDS + 1):
            began = time.perf_counter()
            acks, failed_acks, tickets = await burst(
                bot.events_url, sandbox, slack.response_url(channel=CHANNEL)
            )
            deadline = time.monotonic() + DELIVERY_TIMEOUT
            while agent_replies(sandbox, tickets) < REQUESTS and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.25)
            done = agent_replies(sandbox, tickets)
            # The bot is idle again once every "sent" answer reached Slack.
            with contextlib.suppress(TimeoutError):
                await slack.wait_for(RESPONSE_URL, REQUESTS * round_number, timeout=30.0)
            rows.append(
                f"| {round_number} | {percentile(acks, 50):.1f} ms | {percentile(acks, 99):.1f} ms"
                f" | {max(acks):.1f} ms | {failed_acks} | {done}/{REQUESTS}"
                f" | {time.perf_counter() - began:.1f} s |"
            )
            all_acks += acks
            non_200 += failed_acks
            delivered += done
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"{bot.base_url}/metrics")).text
        server_sum, server_count = server_side_acks(metrics)
        puts = sum(1 for r in sandbox.requests if r.method == "PUT")
        failed = sum(1 for r in sandbox.requests if r.status != 200)

    total = REQUESTS * ROUNDS
    p50, p99 = percentile(all_acks, 50), percentile(all_acks, 99)
    server_mean = server_sum / server_count * 1000 if server_count else 0.0
    verdict = "PASS" if p99 < 100 and delivered == total and non_200 == 0 else "MISS"
    lines = [
        f"{ROUNDS} bursts of {REQUESTS} concurrent signed `/mava reply TICKET text` (one"
        f" ticket each) into `mava-bot run` (HTTP mode, SQLite), the first right after start."
        f" Mava sandbox latency {MAVA_LATENCY:.1f} s per /api call, sandbox rate limit off,"
        " MAVA_RATE_LIMIT=10000. All connections of a burst are opened first, then all"
        " requests written at once by a load generator in its own process; each time runs"
        " from a request's write to the kernel's receipt of its response (SO_TIMESTAMPNS).",
        "",
        "| burst | ack p50 | ack p99 | ack max | non-200 acks | replies delivered"
        " | until the last was delivered |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "| over all bursts | value | target |",
        "|---|---|---|",
        f"| ack p50 | {p50:.1f} ms | |",
        f"| ack p99 | {p99:.1f} ms | < 100 ms |",
        f"| non-200 acks | {non_200} | 0 |",
        f"| replies delivered | {delivered}/{total} | {total} |",
        f"| Mava PUT /api/message requests / non-200 | {puts} / {failed} | {total} / 0 |",
        f"| bot's own time in the handler (slack_ack_seconds mean, {server_count} requests)"
        f" | {server_mean:.2f} ms | |",
        "",
        f"Result: **{verdict}**",
    ]
    body = "\n".join(lines)
    write_section("ack_latency", body)


if __name__ == "__main__":
    asyncio.run(main())
