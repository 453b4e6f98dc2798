"""Scale-out on PostgreSQL: three `mava-bot run` replicas share one database, one of them
(the leader) polls Mava and posts the digest; when it is SIGKILLed mid-poll another takes
over, every new high-priority ticket is alerted exactly once and the digest posted once.

Runs in a database of its own (created and dropped here), so the leader lock and the
tables are not shared with anything else. Skipped without TEST_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from backends import fresh_postgres, needs_postgres
from running import (
    bot_env,
    daily_cron_that_fired,
    free_port,
    running_bot,
    three_more_rounds,
    wait_for,
    wait_healthy,
)

from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.slack_stub import SlackStub, running_slack_stub

pytestmark = needs_postgres
ALERTS = "C0ALERTS"
DIGESTS = "C0DIGEST"
REPLICAS = 3


@pytest.fixture
async def replica_db() -> AsyncIterator[str]:
    """A fresh database for this run; yields its SQLAlchemy URL."""
    async with fresh_postgres("mava_replicas") as url:
        yield url


@pytest.fixture
async def services() -> AsyncIterator[tuple[RunningSandbox, SlackStub]]:
    async with (
        running_mava_sandbox(api_key="replica-mava-key", rate_limit=None, tickets=40) as mava,
        running_slack_stub() as slack,
    ):
        yield mava, slack


class Replica:
    def __init__(self, index: int, process: asyncio.subprocess.Process, log: Path, port: int):
        self.index = index
        self.process = process
        self.log = log
        self.port = port

    def lines(self) -> list[dict[str, Any]]:
        found = []
        for line in self.log.read_text().splitlines():
            if line.strip().startswith("{"):
                found.append(json.loads(line))
        return found

    def said(self, message: str) -> int:
        return sum(1 for line in self.lines() if line.get("message") == message)


def alert_polls(mava: RunningSandbox) -> int:
    """The alert poller's searches: a priority threshold sorts by priority. (The desk's
    board reads are searches too: counting those, a loaded machine let the test add its
    tickets before the poller's first look, which takes them as its baseline.)"""
    return sum(
        1
        for r in mava.sandbox.requests
        if r.path.startswith("/api/tickets") and ("sortBy", "priority") in r.query
    )


def alert_counts(slack: SlackStub, ticket_ids: list[str]) -> dict[str, int]:
    posted = [json.dumps(message) for message in slack.messages(ALERTS)]
    return {tid: sum(tid in text for text in posted) for tid in ticket_ids}


async def test_three_replicas_alert_each_ticket_once_across_a_leader_crash(
    replica_db: str, services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    replicas: list[Replica] = []
    schedule = daily_cron_that_fired(minutes_ago=2)[0]
    async with contextlib.AsyncExitStack() as bots:
        for index in range(REPLICAS):
            port = free_port()
            env = bot_env(
                mava,
                slack,
                tmp_path,
                DATABASE_URL=replica_db,
                PORT=str(port),
                ALERT_CHANNEL=ALERTS,
                DIGEST_CHANNEL=DIGESTS,
                DIGEST_SCHEDULE=schedule,
                DIGEST_TIMEZONE="UTC",
                POLL_INTERVAL_SECONDS="1",
                LEADER_CHECK_SECONDS="0.5",
            )
            log = tmp_path / f"replica-{index}.log"
            process = await bots.enter_async_context(running_bot(env, tmp_path, log))
            replicas.append(Replica(index, process, log, port))
        for replica in replicas:
            await wait_healthy(f"http://127.0.0.1:{replica.port}/healthz", deadline=30)

        leaders = await wait_for(
            lambda: [r for r in replicas if r.said("leadership gained")], 30, "a leader"
        )
        assert len(leaders) == 1
        leader = leaders[0]
        # Two polls started: the first (the baseline of what already matched) is done.
        await wait_for(lambda: alert_polls(mava) >= 2, 30, "the baseline poll")

        first = [
            mava.sandbox.add_ticket(priority=3, status="Open", messages=[f"before crash {n}"])[
                "_id"
            ]
            for n in range(3)
        ]
        await wait_for(lambda: all(alert_counts(slack, first).values()), 30, "the first alerts")

        # SIGKILL the leader in the middle of a poll (its Mava search has just arrived;
        # nothing is left to post, so it holds no alert claim that would wait to go stale).
        polls = alert_polls(mava)
        await wait_for(lambda: alert_polls(mava) > polls, 5, "the next poll")
        leader.process.send_signal(signal.SIGKILL)
        await leader.process.wait()
        killed_at = time.monotonic()

        second = [
            mava.sandbox.add_ticket(priority=3, status="Open", messages=[f"after crash {n}"])["_id"]
            for n in range(3)
        ]
        survivors = [r for r in replicas if r is not leader]
        successor = await wait_for(
            lambda: [r for r in survivors if r.said("leadership gained")], 10, "a new leader"
        )
        assert len(successor) == 1
        await wait_for(
            lambda: all(alert_counts(slack, second).values()), 15, "the alerts after the crash"
        )
        took_over = time.monotonic() - killed_at
        assert took_over < 10, took_over

        await three_more_rounds(mava, "polls", "/api/tickets")
        counts = alert_counts(slack, first + second)
        assert counts == dict.fromkeys(first + second, 1), counts
        assert len(slack.messages(ALERTS)) == len(first + second)
        digests = [m for m in slack.messages(DIGESTS) if m.get("thread_ts", m["ts"]) == m["ts"]]
        assert len(digests) == 1, digests  # the scheduled digest, once across the crash

        for replica in survivors:
            replica.process.send_signal(signal.SIGTERM)
        for replica in survivors:
            assert await asyncio.wait_for(replica.process.wait(), 20) == 0
        # Exactly one replica led before the crash and one after; the other never did.
        assert sorted(r.said("leadership gained") for r in replicas) == [0, 1, 1]
        assert successor[0].said("leadership released") == 1
