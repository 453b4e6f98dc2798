"""Reports (#21): the time and the Mava requests of `/mava report 30d` over 10,000
tickets created in the 30 days (plus 500 resolved ones created up to 120 days before).

The whole bridge runs (`Bridge.build`, as `mava-bot run` assembles it) on SQLite in HTTP
mode against the sandbox (rate limit off) and the Slack stub, with the default Mava
budget (MAVA_RATE_LIMIT=90 per 30 s): a report spends at most a sixth of it, one
request every 2 s, so its time is its request count times 2 s, by design. Time runs
from the signed `/mava report 30d` to the stub's receipt of files.completeUploadExternal
(the chart); requests are the sandbox's GET /api/tickets, checked against the count
the bridge logs ("report read").

    .venv/bin/python bench/report_30d.py
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import write_section

from mava_sandbox.stack import running_stack

TICKETS = 10_000
EARLIER = 500
DAYS = 30


class Requests(logging.Handler):
    """The "report read" line the bridge logs: its request count."""

    def __init__(self) -> None:
        super().__init__()
        self.logged: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "report read":
            self.logged.append(dict(record.__dict__))


def seed(sandbox: Any, now: datetime) -> None:
    rng = random.Random(21)
    agents = [a.id for a in sandbox.agents.values()]
    origins = ["web", "discord", "telegram", "email"]
    for n in range(TICKETS + EARLIER):
        earlier = n >= TICKETS
        back = rng.uniform(DAYS, 120) if earlier else rng.uniform(0.01, DAYS - 0.01)
        created = now - timedelta(days=back)
        answer = created + timedelta(minutes=rng.uniform(1, 600))
        fields: dict[str, Any] = {
            "createdAt": created,
            "sourceType": origins[n % 4],
            "assignedTo": agents[n % len(agents)] if n % 7 else None,
            "messages": [
                {"content": f"question {n}", "createdAt": created},
                {"content": "answer", "senderType": "agent", "createdAt": answer},
            ],
        }
        if earlier or n % 3 == 0:
            fields |= {
                "status": "Resolved",
                "resolutionTime": int(rng.uniform(0.1, 30 if earlier else 3) * 86_400_000),
                "csat": rng.choice([None, 1, 2, 3, 4, 5]),
            }
        sandbox.add_ticket(**fields)


async def main() -> None:
    handler = Requests()
    logging.getLogger("mava_bridge.services.reports").addHandler(handler)
    logging.getLogger("mava_bridge.services.reports").setLevel(logging.INFO)
    async with running_stack(mava_options={"tickets": 0}) as stack:
        sandbox = stack.mava.sandbox
        seed(sandbox, datetime.now(UTC))
        sandbox.reset_requests()
        url = stack.slack.response_url(channel="C0REPORT")
        started = time.monotonic()
        response = await stack.sender.command(
            "report 30d", user_id="U0JANE", channel_id="C0REPORT", response_url=url
        )
        assert response.status_code == 200, response.text
        [call] = await stack.slack.wait_for("files.completeUploadExternal", timeout=1200.0)
        elapsed = time.monotonic() - started
        assert call.ok, call.error
        searches = sum(1 for r in sandbox.requests if r.path == "/api/tickets")
        budget = (
            stack.runtime.settings.mava_rate_limit,
            stack.runtime.settings.mava_rate_window_seconds,
        )
        [logged] = handler.logged
        chart = stack.slack.files.shared[0]
    body = (
        f"`Bridge.build` on SQLite, HTTP mode, sandbox with {TICKETS} tickets created in the "
        f"last {DAYS} days (a third resolved, with ratings) and {EARLIER} resolved ones created "
        f"{DAYS}-120 days before; Mava budget {budget[0]} per {budget[1]:.0f} s, of which a "
        "report takes a sixth (one request every "
        f"{budget[1] / (budget[0] // 6):.1f} s).\n\n"
        "| metric | value |\n|---|---|\n"
        f"| `/mava report 30d` -> chart uploaded | {elapsed:.1f} s |\n"
        f"| GET /api/tickets (sandbox) | {searches} |\n"
        f"| requests in the bridge's log line | {logged['requests']} |\n"
        f"| tickets read | {logged['tickets']} |\n"
        f"| chart PNG | {len(chart.data) // 1024} KiB |\n\n"
        "Why: the period's tickets with their messages (first response) are 100 pages of "
        "100; the resolved tickets created in the 90 days before the period add their "
        "pages; the backlog is one count per year. The time is the pace, not the work: "
        "requests spaced to stay within a sixth of the budget, so people and alerts keep "
        "the rest while a report reads.\n"
    )
    write_section("report_30d", body)


if __name__ == "__main__":
    asyncio.run(main())
