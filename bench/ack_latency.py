"""Ack latency under load: 200 concurrent `/mava reply` while Mava takes 2 s per call.

Slack needs the HTTP ack within 3 s; the bot acks before calling Mava, so the ack time
must not depend on Mava's latency. Target: p99 < 100 ms, and all 200 replies delivered.

    .venv/bin/python bench/ack_latency.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx
from _common import percentile, write_section

from bot.sandbox.slack_requests import SlackEventSender
from bot.sandbox.stack import running_stack

REQUESTS = 200
MAVA_LATENCY = 2.0
USER, CHANNEL = "U0JANE", "C0SUPPORT"
DELIVERY_TIMEOUT = 180.0


def agent_replies(sandbox: object, ticket_ids: list[str]) -> int:
    count = 0
    for ticket_id in ticket_ids:
        ticket = sandbox.get(ticket_id)  # type: ignore[attr-defined]
        count += sum(
            1
            for m in ticket["messages"]
            if m.get("messageType") == "ExternalMessage" and m.get("senderType") == "agent"
        )
    return count


async def fire(url: str, commands: list[dict[str, str]]) -> list[tuple[float, int]]:
    """The load generator (run in its own process, so its CPU is not the bot's)."""
    limits = httpx.Limits(max_connections=len(commands) + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
        sender = SlackEventSender(url, client=client)

        async def one(command: dict[str, str]) -> tuple[float, int]:
            started = time.perf_counter()
            response = await sender.command(
                command["text"],
                user_id=USER,
                channel_id=CHANNEL,
                response_url=command["response_url"],
            )
            return time.perf_counter() - started, response.status_code

        return await asyncio.gather(*(one(c) for c in commands))


async def main() -> None:
    async with running_stack(
        mava_options={"tickets": 0, "rate_limit": None}, mava_rate_limit=10_000
    ) as stack:
        sandbox = stack.mava.sandbox
        tickets = [str(sandbox.add_ticket()["_id"]) for _ in range(REQUESTS)]
        sandbox.latency = MAVA_LATENCY
        commands = [
            {
                "text": f"reply {tickets[i]} Benchmark reply number {i}",
                "response_url": stack.slack.response_url(channel=CHANNEL),
            }
            for i in range(REQUESTS)
        ]
        began = time.perf_counter()
        worker = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--fire",
            stack.url,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await worker.communicate(json.dumps(commands).encode())
        results = json.loads(out)
        acked = time.perf_counter() - began
        acks = [seconds * 1000 for seconds, _ in results]
        non_200 = sum(1 for _, status in results if status != 200)

        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while agent_replies(sandbox, tickets) < REQUESTS and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.25)
        delivered = agent_replies(sandbox, tickets)
        all_done = time.perf_counter() - began
        methods: dict[str, int] = {}
        for record in sandbox.requests:
            methods[record.method] = methods.get(record.method, 0) + 1
        failed = [r for r in sandbox.requests if r.status != 200]

    p50, p99, worst = percentile(acks, 50), percentile(acks, 99), max(acks)
    verdict = "PASS" if p99 < 100 and delivered == REQUESTS and non_200 == 0 else "MISS"
    lines = [
        f"{REQUESTS} concurrent signed `/mava reply TICKET text` (one ticket each),"
        f" Mava sandbox latency {MAVA_LATENCY:.1f} s per /api call, sandbox rate limit off,"
        " MAVA_RATE_LIMIT=10000. The requests come from a separate process (httpx, one"
        " connection each) so the client's CPU is not on the bot's event loop.",
        "",
        "| metric | value | target |",
        "|---|---|---|",
        f"| ack p50 | {p50:.1f} ms | |",
        f"| ack p99 | {p99:.1f} ms | < 100 ms |",
        f"| ack max | {worst:.1f} ms | |",
        f"| non-200 acks | {non_200} | 0 |",
        f"| load generator done (incl. its process start) | {acked:.2f} s | |",
        f"| replies delivered (agent ExternalMessages in sandbox) | {delivered}/{REQUESTS}"
        f" | {REQUESTS} |",
        f"| time until the last reply was delivered | {all_done:.1f} s | |",
        f"| Mava requests by method / non-200 | {methods} / {len(failed)} | |",
        "",
        f"Result: **{verdict}**",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("ack_latency", body)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--fire":
        timings = asyncio.run(fire(sys.argv[2], json.loads(sys.stdin.read())))
        print(json.dumps(timings))
    else:
        asyncio.run(main())
