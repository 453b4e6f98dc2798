"""A Mava webhook answered 200, then the bot SIGKILLed before it read Mava: the
restarted bot still brings the followed thread up to date, exactly once. A webhook is a
nudge recorded in the database before its 200, so nothing rests on the dead process."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from pathlib import Path

from running import bot_env, followed_card, free_port, running_bot, wait_for, wait_healthy

from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.mava_webhooks import MavaWebhooks
from mava_sandbox.slack_stub import SlackStub

CHANNEL = "C0HOOKED"


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return list(connection.execute(sql).fetchall())


async def test_a_webhook_taken_just_before_a_kill_is_not_lost(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    database = tmp_path / "bot.db"
    ticket, card_ts = await followed_card(mava, slack, database, CHANNEL)

    def replies() -> list[str]:
        return [m.get("text", "") for m in slack.thread(CHANNEL, card_ts)[1:]]

    webhooks = MavaWebhooks(mava.sandbox).attach()
    port = free_port()
    # Polling an hour apart: between the kill and the restart only the webhook's record
    # (and the restart's own first look) can bring the message.
    env = bot_env(
        mava,
        slack,
        tmp_path,
        PORT=str(port),
        THREAD_SYNC_SECONDS="3600",
        MAVA_WEBHOOK_SIGNING_KEY=webhooks.signing_key,
    )
    log = tmp_path / "bot.log"
    try:
        async with running_bot(env, tmp_path, log) as first:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            webhooks.url = f"http://127.0.0.1:{port}/mava/webhook"
            synced = "SELECT synced_at FROM followed_tickets WHERE synced_at IS NOT NULL"
            await wait_for(lambda: bool(rows(database, synced)), 20, "the follow's first sync")

            mava.sandbox.latency = 5.0  # the nudged sync is still reading Mava at the kill
            mava.sandbox.customer_writes(ticket, "is anyone there?")
            await webhooks.settle()
            assert [d.status for d in webhooks.sent] == [200], webhooks.sent
            assert rows(database, "SELECT count(*) FROM seen_webhooks") == [(1,)]
            first.send_signal(signal.SIGKILL)
            await first.wait()
        assert replies() == []  # killed between the webhook's 200 and its sync

        mava.sandbox.latency = 0.0
        async with running_bot(env, tmp_path, log) as second:
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            await wait_for(lambda: len(replies()) >= 1, 30, "the message in the thread")
            # The restarted leader also sees the webhook's row: it runs a sync for it,
            # which finds the message posted. One more turn of that watcher (1 s) is
            # enough to see.
            await asyncio.sleep(2.5)
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 30) == 0
    finally:
        await webhooks.aclose()
    assert len(replies()) == 1 and "is anyone there?" in replies()[0], replies()
