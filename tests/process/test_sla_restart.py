"""SLA warnings and breaches across a restart of `mava-bot run` (DESK_REFRESH_SECONDS=1):
the first process takes the subscription's first look (what was past a level already is
never posted), posts a warning (and DMs it to the assignee) and a breach; it is
SIGKILLed, and the restarted process (same database) posts none of them again, posts a
warning due while it was down, and exits cleanly on SIGTERM. Each exactly once."""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from running import (
    OMAR,
    add_omar,
    bot_env,
    desk_polled,
    free_port,
    running_bot,
    sqlite_value,
    wait_for,
    wait_for_changes,
    wait_healthy,
)

from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_requests import SlackEventSender
from mava_sandbox.slack_stub import SlackStub

CHANNEL = "C0SLARESTART"


def about(messages: list[dict[str, Any]], ticket: str, words: str) -> list[dict[str, Any]]:
    return [m for m in messages if ticket in json.dumps(m) and words in json.dumps(m)]


def waiting(sandbox: Any, text: str, minutes: int, **fields: Any) -> str:
    then = datetime.now(UTC) - timedelta(minutes=minutes)
    ticket = str(sandbox.add_ticket(createdAt=then, messages=[], **fields)["_id"])
    sandbox.add_message(ticket, text, created_at=then)
    return ticket


async def test_warnings_and_breaches_once_across_a_restart(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    add_omar(slack)
    sandbox = mava.sandbox
    port = free_port()
    env = bot_env(mava, slack, tmp_path, PORT=str(port), DESK_REFRESH_SECONDS="1")
    log = tmp_path / "bot.log"
    base = f"http://127.0.0.1:{port}"
    database = tmp_path / "bot.db"

    old = waiting(sandbox, "Late before the subscription", 90)
    async with running_bot(env, tmp_path, log) as first:
        await wait_healthy(f"{base}/healthz")
        async with SlackEventSender(f"{base}/slack/events", stub=slack) as sender:
            for text in ("sla set all first-response 1h", "subscribe breaches"):
                response = await sender.command(text, user_id="U0JANE", channel_id=CHANNEL)
                assert response.status_code == 200
        looked = "SELECT count(*) FROM sla_posts WHERE ticket_id = 'first-look'"
        await wait_for(lambda: sqlite_value(database, looked) == 1, 20, "the first look")
        warned = waiting(sandbox, "Fifty minutes", 50)
        sandbox.dashboard(warned, assignee="Omar Haddad")
        breached = waiting(sandbox, "Seventy minutes", 70)
        await wait_for(lambda: about(slack.messages(CHANNEL), warned, "SLA warning"), 20, "warn")
        await wait_for(lambda: about(slack.messages(CHANNEL), breached, "SLA breached"), 20, "b")
        await wait_for(lambda: about(slack.messages(OMAR), warned, "SLA warning"), 20, "the DM")
        unrecorded = "SELECT count(*) FROM sla_posts WHERE state = 'claimed'"
        await wait_for(lambda: sqlite_value(database, unrecorded) == 0, 20, "posts recorded")
        first.send_signal(signal.SIGKILL)
        await first.wait()

    later = waiting(sandbox, "Late while the bot was down", 55)
    async with running_bot(env, tmp_path, log) as second:
        await wait_healthy(f"{base}/healthz")
        await wait_for(lambda: about(slack.messages(CHANNEL), later, "SLA warning"), 20, "later")
        # Three more polls: anything it might (wrongly) repeat, it has repeated by then.
        await wait_for_changes(lambda: desk_polled(database), 3, 30, "another desk poll")
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 30) == 0

    channel = slack.messages(CHANNEL)
    assert about(channel, old, "SLA") == []  # past its target when the channel subscribed
    assert len(about(channel, warned, "SLA")) == 1
    assert len(about(channel, breached, "SLA")) == 1
    assert len(about(channel, later, "SLA")) == 1
    assert len(about(slack.messages(OMAR), warned, "SLA")) == 1
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    assert not [x for x in lines if x["level"] == "ERROR"]
