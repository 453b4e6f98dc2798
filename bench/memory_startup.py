"""`mava-bot run` as a subprocess: time to ready, and peak RSS through a 5,000-ticket digest.

The Mava sandbox (5,000 open unassigned tickets) and the Slack stub run in this script
on loopback. Targets: /healthz 200 within 2 s of process start; peak RSS < 150 MB.

    .venv/bin/python bench/memory_startup.py
"""

from __future__ import annotations

import asyncio
import time

from _bot import running_bot
from _common import write_section

from mava_sandbox.mava_server import running_mava_sandbox
from mava_sandbox.slack_requests import SlackEventSender
from mava_sandbox.slack_stub import RESPONSE_URL, running_slack_stub

TICKETS = 5_000
CHANNEL = "C0DIGEST"


async def main() -> None:
    async with (
        running_mava_sandbox(tickets=0, rate_limit=None) as mava,
        running_slack_stub() as slack,
    ):
        for _ in range(TICKETS):
            mava.sandbox.add_ticket(status="Open")
        async with running_bot(mava, slack) as bot:
            ready = bot.ready_seconds
            rss_ready = bot.status_kb("VmRSS")
            async with SlackEventSender(bot.events_url, stub=slack) as sender:
                url = slack.response_url(channel=CHANNEL)
                target = url.rsplit("/", 1)[-1]
                t0 = time.perf_counter()
                ack = await sender.command("digest", channel_id=CHANNEL, response_url=url)
                await slack.wait_for(
                    RESPONSE_URL, timeout=120.0, predicate=lambda c: c.target == target
                )
                digest_seconds = time.perf_counter() - t0
            answer = [c for c in slack.calls(RESPONSE_URL) if c.target == target][-1]
            peak = bot.status_kb("VmHWM")
        searches = sum(1 for r in mava.sandbox.requests if r.path == "/api/tickets")

    ready_ok = ready < 2.0
    rss_ok = peak / 1024 < 150
    lines = [
        f"`mava-bot run` (HTTP mode, SQLite) against a sandbox with {TICKETS} open unassigned"
        " tickets; `/mava digest` sent as a signed slash command. RSS from /proc (VmHWM).",
        "",
        "| metric | value | target |",
        "|---|---|---|",
        f"| process start -> /healthz 200 | {ready:.2f} s | < 2 s |",
        f"| RSS when ready | {rss_ready / 1024:.1f} MB | |",
        f"| peak RSS (VmHWM) after the digest | {peak / 1024:.1f} MB | < 150 MB |",
        f"| `/mava digest` ack status / command -> answer | {ack.status_code} /"
        f" {digest_seconds:.1f} s | |",
        f"| answer | {answer.params.get('text', '')[:80]} | |",
        f"| GET /api/tickets during the digest | {searches} | |",
        "",
        f"Result: ready **{'PASS' if ready_ok else 'MISS'}**,"
        f" RSS **{'PASS' if rss_ok else 'MISS'}**",
    ]
    body = "\n".join(lines)
    write_section("memory_startup", body)


if __name__ == "__main__":
    asyncio.run(main())
