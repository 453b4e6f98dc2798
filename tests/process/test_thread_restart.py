"""`mava-bot run` SIGKILLed while it mirrors a burst of customer messages into a followed
ticket's thread, then started again: every message is in the thread exactly once, in
order (no gap, no duplicate)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
from pathlib import Path

from running import (
    bot_env,
    followed_card,
    free_port,
    running_bot,
    three_more_rounds,
    wait_for,
    wait_healthy,
)

from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_stub import SlackStub

CHANNEL = "C0FOLLOW"
BURST = 12


def posted(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute("SELECT count(*) FROM thread_posts WHERE state = 'posted'")
        return int(row.fetchone()[0])


def first_synced(database: Path) -> bool:
    """The follow's first sync is done (what was there before the follow: baseline)."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute("SELECT synced_at FROM followed_tickets").fetchone()
        return row is not None and row[0] is not None


async def test_sigkill_mid_thread_then_restart_leaves_no_gap_and_no_duplicate(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    database = tmp_path / "bot.db"
    ticket, card_ts = await followed_card(mava, slack, database, CHANNEL)

    def replies() -> list[str]:
        return [m.get("text", "") for m in slack.thread(CHANNEL, card_ts)[1:]]

    port = free_port()
    env = bot_env(mava, slack, tmp_path, PORT=str(port), THREAD_SYNC_SECONDS="1")
    log = tmp_path / "bot.log"
    async with running_bot(env, tmp_path, log) as first:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        await wait_for(lambda: first_synced(database), 20, "the first sync")
        for n in range(BURST):
            mava.sandbox.customer_writes(ticket, f"burst {n}")
        # Slack takes one post per second per channel: kill it a few replies in, once
        # what Slack accepted is recorded (killed between the two, a reply is posted
        # again: the duplicate window mava_bridge.store.ledger documents).
        await wait_for(lambda: len(replies()) >= 3, 30, "the first replies")
        await wait_for(lambda: posted(database) >= len(replies()), 5, "the bot to record them")
        first.send_signal(signal.SIGKILL)
        await first.wait()
    assert len(replies()) < BURST, "the kill should land mid-burst"

    async with running_bot(env, tmp_path, log) as second:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        await wait_for(lambda: len(replies()) >= BURST, 60, "the rest of the burst")
        await three_more_rounds(mava, "thread syncs")
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 30) == 0
    assert [r.rsplit(" ", 1)[1] for r in replies()] == [str(n) for n in range(BURST)]
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    assert not [x for x in lines if x["level"] == "ERROR"]
    # The next reply was claimed before its post waited for Slack's second: the restart
    # took that claim over at once rather than after STALE_CLAIM (15 minutes).
    took = [x for x in lines if x["message"] == "took over thread claims a previous process left"]
    assert [x["count"] for x in took] in ([], [1])
