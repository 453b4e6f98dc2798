"""Ack latency under load: 200 and 500 concurrent `/mava reply` while Mava takes 2 s per
call.

Slack needs the HTTP ack within 3 s; the bot acks before calling Mava, so the ack time
must depend neither on Mava's latency nor on the work earlier requests handed off.
Target, at both sizes: p99 < 100 ms, and every reply delivered.

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

SIZES = (200, 500)  # each round sends one burst of each, in this order
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
    bot_url: str, sandbox: MavaSandbox, response_url: str, size: int
) -> tuple[list[float], int, list[str]]:
    """One burst of `size` replies on fresh tickets: (ack ms each, non-200s, tickets)."""
    sandbox.latency = 0.0
    tickets = [str(sandbox.add_ticket()["_id"]) for _ in range(size)]
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
    acks_by_size: dict[int, list[float]] = {size: [] for size in SIZES}
    non_200 = dict.fromkeys(SIZES, 0)
    delivered = dict.fromkeys(SIZES, 0)
    answered = 0
    async with (
        running_mava_sandbox(tickets=0, rate_limit=None) as mava,
        running_slack_stub() as slack,
        running_bot(mava, slack, MAVA_RATE_LIMIT="10000") as bot,
    ):
        sandbox = mava.sandbox
        for round_number in range(1, ROUNDS + 1):
            for size in SIZES:
                began = time.perf_counter()
                acks, failed_acks, tickets = await burst(
                    bot.events_url, sandbox, slack.response_url(channel=CHANNEL), size
                )
                deadline = time.monotonic() + DELIVERY_TIMEOUT
                while agent_replies(sandbox, tickets) < size and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.25)
                done = agent_replies(sandbox, tickets)
                # The bot is idle again once every "sent" answer reached Slack.
                with contextlib.suppress(TimeoutError):
                    await slack.wait_for(RESPONSE_URL, answered + size, timeout=30.0)
                answered = len(slack.calls(RESPONSE_URL))
                rows.append(
                    f"| {round_number} | {size} | {percentile(acks, 50):.1f} ms"
                    f" | {percentile(acks, 99):.1f} ms | {max(acks):.1f} ms | {failed_acks}"
                    f" | {done}/{size} | {time.perf_counter() - began:.1f} s |"
                )
                acks_by_size[size] += acks
                non_200[size] += failed_acks
                delivered[size] += done
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"{bot.base_url}/metrics")).text
        server_sum, server_count = server_side_acks(metrics)
        puts = sum(1 for r in sandbox.requests if r.method == "PUT")
        failed = sum(1 for r in sandbox.requests if r.status != 200)

    total = sum(SIZES) * ROUNDS
    server_mean = server_sum / server_count * 1000 if server_count else 0.0
    summary = []
    passed = True
    for size in SIZES:
        acks = acks_by_size[size]
        p99 = percentile(acks, 99)
        passed = passed and p99 < 100 and delivered[size] == size * ROUNDS and not non_200[size]
        summary += [
            f"| {size} | {percentile(acks, 50):.1f} ms | {p99:.1f} ms | {max(acks):.1f} ms"
            f" | {non_200[size]} | {delivered[size]}/{size * ROUNDS} |"
        ]
    sizes = " and ".join(str(size) for size in SIZES)
    lines = [
        f"{ROUNDS} rounds, each a burst of {sizes} concurrent signed `/mava reply TICKET"
        " text` (one ticket each; the next burst once the last reply of the previous was"
        " delivered) into `mava-bot run` (HTTP mode, SQLite), the first right after start."
        f" Mava sandbox latency {MAVA_LATENCY:.1f} s per /api call, sandbox rate limit off,"
        " MAVA_RATE_LIMIT=10000. All connections of a burst are opened first, then all"
        " requests written at once by a load generator in its own process; each time runs"
        " from a request's write to the kernel's receipt of its response (SO_TIMESTAMPNS).",
        "",
        "| round | burst | ack p50 | ack p99 | ack max | non-200 acks | replies delivered"
        " | until the last was delivered |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "| over all rounds, by burst | ack p50 | ack p99 (target < 100 ms) | ack max"
        " | non-200 acks (0) | replies delivered (all) |",
        "|---|---|---|---|---|---|",
        *summary,
        "",
        "| over the whole run | value | target |",
        "|---|---|---|",
        f"| Mava PUT /api/message requests / non-200 | {puts} / {failed} | {total} / 0 |",
        f"| users answered at their response_url | {answered} | {total} |",
        f"| bot's own time in the handler (slack_ack_seconds mean, {server_count} requests)"
        f" | {server_mean:.2f} ms | |",
        "",
        f"Result: **{'PASS' if passed and answered == total else 'MISS'}**",
    ]
    write_section("ack_latency", "\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
