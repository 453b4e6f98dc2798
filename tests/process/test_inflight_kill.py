"""`mava-bot run` SIGKILLed while Slack holds one of its posts (Slack answering slowly):
Slack posts it all the same, and the bot never hears back. Started again, the bot
finds that post by its metadata (the thread, or the channel's history since the
claim) and records it instead of posting it again: each customer message is in the
thread exactly once, each ticket alerted exactly once (issue #19)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
from pathlib import Path
from typing import Any

from running import (
    OMAR,
    add_omar,
    bot_env,
    desk_polled,
    followed_card,
    free_port,
    running_bot,
    three_more_rounds,
    wait_for,
    wait_for_changes,
    wait_healthy,
)

from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_stub import SlackStub

CHANNEL = "C0FOLLOW"
ALERTS = "C0ALERTS"
BURST = 6
POST = "chat.postMessage"
FOUND = "an interrupted post is in Slack already: recorded, not posted again"


def count(database: Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return int(connection.execute(sql).fetchone()[0])


def log_lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]


async def kill_while_slack_holds_a_post(
    bot: asyncio.subprocess.Process, slack: SlackStub, ready: Any
) -> None:
    """SIGKILL `bot` once `ready()` holds while Slack holds one of its posts; then wait
    for Slack to post it (its answer goes nowhere)."""
    await wait_for(lambda: ready() and slack.in_flight(POST) == 1, 60, "a post in flight")
    bot.send_signal(signal.SIGKILL)
    await bot.wait()
    await wait_for(lambda: slack.in_flight(POST) == 0, 10, "Slack to post it")
    slack.clear_faults()


async def stop(bot: asyncio.subprocess.Process) -> None:
    bot.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(bot.wait(), 30) == 0


async def test_a_thread_post_slack_took_from_a_killed_bot_is_not_posted_again(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    database = tmp_path / "bot.db"
    ticket, card_ts = await followed_card(mava, slack, database, CHANNEL)

    def numbers() -> list[str]:
        return [m.get("text", "").rsplit(" ", 1)[1] for m in slack.thread(CHANNEL, card_ts)[1:]]

    def recorded() -> int:
        return count(database, "SELECT count(*) FROM thread_posts WHERE state = 'posted'")

    port = free_port()
    env = bot_env(mava, slack, tmp_path, PORT=str(port), THREAD_SYNC_SECONDS="1")
    log = tmp_path / "bot.log"
    async with running_bot(env, tmp_path, log) as first:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        await wait_for(
            lambda: count(
                database, "SELECT count(*) FROM followed_tickets WHERE synced_at IS NOT NULL"
            ),
            20,
            "the first sync",
        )
        slack.slow_down(POST, 1.5)
        for n in range(BURST):
            mava.sandbox.customer_writes(ticket, f"burst {n}")
        # Killed while Slack holds the third reply, the first two recorded.
        await kill_while_slack_holds_a_post(
            first, slack, lambda: len(numbers()) >= 2 and recorded() >= len(numbers())
        )
    assert len(numbers()) == recorded() + 1 < BURST  # in the thread, not in the ledger

    async with running_bot(env, tmp_path, log) as second:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        await wait_for(lambda: recorded() >= BURST, 60, "the rest of the burst")
        await three_more_rounds(mava, "thread syncs")
        await stop(second)

    assert [numbers().count(str(n)) for n in range(BURST)] == [1] * BURST
    assert numbers() == [str(n) for n in range(BURST)]
    lines = log_lines(log)
    assert [x["message"] for x in lines if x["message"] == FOUND] == [FOUND]
    assert not [x for x in lines if x["level"] == "ERROR"]


async def test_an_alert_slack_took_from_a_killed_bot_is_not_posted_again(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    database = tmp_path / "bot.db"
    port = free_port()
    env = bot_env(
        mava, slack, tmp_path, PORT=str(port), ALERT_CHANNEL=ALERTS, POLL_INTERVAL_SECONDS="1"
    )
    log = tmp_path / "bot.log"

    def alerted() -> list[str]:
        return [
            str(block["block_id"]).removeprefix("ticket:")
            for message in slack.messages(ALERTS)
            if not message.get("thread_ts")
            for block in message.get("blocks") or []
            if str(block.get("block_id", "")).startswith("ticket:")
        ]

    def recorded() -> int:
        return count(database, "SELECT count(*) FROM alert_deliveries WHERE state = 'posted'")

    async with running_bot(env, tmp_path, log) as first:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        # The alerts' own first poll (it baselines what is open then): the DM poll writes a
        # watermark too, and tickets added before the alerts' first poll were never alerted.
        first_poll = "SELECT count(*) FROM poll_watermarks WHERE query_key LIKE 'alerts:%'"
        await wait_for(lambda: count(database, first_poll), 20, "the alerts' first poll")
        slack.slow_down(POST, 1.5)
        tickets = [str(mava.sandbox.add_ticket(status="Open", priority=3)["_id"]) for _ in range(4)]
        await kill_while_slack_holds_a_post(
            first, slack, lambda: len(alerted()) >= 1 and recorded() >= len(alerted())
        )
    assert len(alerted()) == recorded() + 1 < len(tickets)

    async with running_bot(env, tmp_path, log) as second:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        await wait_for(lambda: recorded() >= len(tickets), 60, "the other alerts")
        await three_more_rounds(mava, "polls", "/api/tickets")
        await stop(second)

    assert sorted(alerted()) == sorted(tickets)  # each ticket alerted exactly once
    lines = log_lines(log)
    assert [x["message"] for x in lines if x["message"] == FOUND] == [FOUND]
    assert not [x for x in lines if x["level"] == "ERROR"]


async def test_an_assignment_dm_slack_took_from_a_killed_bot_is_not_sent_again(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    add_omar(slack)
    database = tmp_path / "bot.db"
    port = free_port()
    env = bot_env(mava, slack, tmp_path, PORT=str(port), DESK_REFRESH_SECONDS="1")
    log = tmp_path / "bot.log"
    tickets = [str(mava.sandbox.add_ticket(messages=[f"Mine {n}"])["_id"]) for n in range(3)]

    def posted() -> int:
        return count(database, "SELECT count(*) FROM assignment_dms WHERE state = 'posted'")

    async with running_bot(env, tmp_path, log) as first:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        baseline = "SELECT count(*) FROM poll_watermarks WHERE query_key = 'desk:assignments'"
        await wait_for(lambda: count(database, baseline), 20, "the first DM poll")
        slack.slow_down(POST, 1.5)
        for ticket in tickets:  # at once: one poll sees all three, one grouped DM
            mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
        await kill_while_slack_holds_a_post(first, slack, lambda: True)
    [dm] = slack.messages(OMAR)  # Slack took it; the ledger did not hear
    assert posted() == 0

    async with running_bot(env, tmp_path, log) as second:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        await wait_for(lambda: posted() >= len(tickets), 60, "the DM recorded")
        # Three more DM polls (each rewrites its watermark): anything it might (wrongly) send
        # again, it has sent by then.
        await wait_for_changes(lambda: desk_polled(database), 3, 30, "another DM poll")
        await stop(second)

    assert [m["ts"] for m in slack.messages(OMAR)] == [dm["ts"]]  # one DM, not two
    assert all(ticket in json.dumps(dm) for ticket in tickets)  # each told, once
    ts = "SELECT count(DISTINCT message_ts) FROM assignment_dms WHERE state = 'posted'"
    assert count(database, ts) == 1
    lines = log_lines(log)
    assert [x["message"] for x in lines if x["message"] == FOUND] == [FOUND]
    assert not [x for x in lines if x["level"] == "ERROR"]
