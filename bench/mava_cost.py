"""Mava requests for one digest of N open unassigned tickets, vs the minimum.

Mava pages at most 100 tickets per GET /api/tickets, so a digest of N tickets needs at
least max(1, ceil(N/100)) requests (ceil(N/100)+1 if the client must see an empty or
short page to know it is done).

    .venv/bin/python bench/mava_cost.py
"""

from __future__ import annotations

import asyncio
import math
import time

from _common import write_section

from mava_sandbox.stack import running_stack

SIZES = (0, 250, 5_000)
CHANNEL = "C0DIGEST"


async def measure(n: int) -> tuple[int, int, float, str]:
    async with running_stack(
        mava_options={"tickets": 0, "rate_limit": None}, mava_rate_limit=100_000
    ) as stack:
        sandbox = stack.mava.sandbox
        for _ in range(n):
            sandbox.add_ticket(status="Open")
        sandbox.reset_requests()
        started = time.perf_counter()
        result = await stack.runtime.delivery.digests.post(CHANNEL)
        seconds = time.perf_counter() - started
        searches = [r for r in sandbox.requests if r.path == "/api/tickets"]
        return len(searches), len(sandbox.requests), seconds, result.describe()


async def main() -> None:
    rows = [
        "| N open unassigned | GET /api/tickets | all /api requests | minimum max(1,ceil(N/100))"
        " | ceil(N/100)+1 | digest post time | outcome |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in SIZES:
        searches, total, seconds, outcome = await measure(n)
        minimum = max(1, math.ceil(n / 100))
        rows.append(
            f"| {n} | {searches} | {total} | {minimum} | {math.ceil(n / 100) + 1}"
            f" | {seconds:.2f} s | {outcome} |"
        )
    body = "Requests counted in the sandbox during `DigestService.post` (default digest).\n\n"
    body += "\n".join(rows)
    write_section("mava_cost", body)


if __name__ == "__main__":
    asyncio.run(main())
