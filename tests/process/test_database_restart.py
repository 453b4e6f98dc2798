"""Fault test: PostgreSQL restarts while the bot runs.

A throwaway cluster is made with initdb/pg_ctl in a temporary directory (never the
shared service): /healthz must report the outage while it lasts, and the bot must
reconnect and carry on afterwards without a restart of its own.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from running import free_port

from mava_bridge.app import Bridge
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_requests import SlackEventSender
from mava_sandbox.slack_stub import SlackStub
from mava_sandbox.stack import stack_settings

PG_CTL = shutil.which("pg_ctl")
INITDB = shutil.which("initdb")
AS_POSTGRES = os.geteuid() == 0  # PostgreSQL refuses to run as root

pytestmark = pytest.mark.skipif(
    not (PG_CTL and INITDB) or (AS_POSTGRES and not shutil.which("runuser")),
    reason="needs PostgreSQL's initdb and pg_ctl (and runuser when running as root)",
)


def _pg(*args: str) -> None:
    command = list(args)
    if AS_POSTGRES:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


class Cluster:
    def __init__(self, root: Path) -> None:
        self.data = root / "data"
        self.port = free_port()
        self.options = f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        assert PG_CTL
        # -l: the server must not inherit our pipes, or waiting for pg_ctl never ends.
        log = str(self.data.parent / "server.log")
        _pg(PG_CTL, "-D", str(self.data), "-l", log, "-o", self.options, "-w", "start")

    def stop(self) -> None:
        assert PG_CTL
        _pg(PG_CTL, "-D", str(self.data), "-m", "fast", "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    # Not under pytest's tmp dir: the postgres user cannot enter root's private folders.
    root = Path(tempfile.mkdtemp(prefix="mava-bot-pg-"))
    if AS_POSTGRES:
        shutil.chown(root, "postgres")
    assert INITDB
    _pg(INITDB, "-D", str(root / "data"), "-A", "trust", "-U", "postgres")
    pg = Cluster(root)
    pg.start()
    try:
        yield pg
    finally:
        subprocess.run(
            (["runuser", "-u", "postgres", "--"] if AS_POSTGRES else [])
            + [PG_CTL or "pg_ctl", "-D", str(pg.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


async def _health(client: httpx.AsyncClient, base: str) -> int:
    return (await client.get(f"{base}/healthz")).status_code


async def _until(client: httpx.AsyncClient, base: str, status: int, deadline: float) -> float:
    started = time.monotonic()
    while await _health(client, base) != status:
        if time.monotonic() - started > deadline:
            raise AssertionError(f"/healthz never answered {status}")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


@pytest.fixture
async def bot(
    cluster: Cluster, mava_sandbox: RunningSandbox, stub: SlackStub
) -> AsyncIterator[tuple[Bridge, str, SlackEventSender]]:
    mava, slack = mava_sandbox, stub
    runtime = await Bridge.build(stack_settings(mava, slack, cluster.url))
    runner, port = await runtime.serve_http("127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    try:
        async with SlackEventSender(f"{base}/slack/events", stub=slack) as sender:
            yield runtime, base, sender
    finally:
        await runner.cleanup()
        await runtime.close()


async def test_bot_reports_a_database_restart_and_carries_on(
    cluster: Cluster,
    bot: tuple[Bridge, str, SlackEventSender],
    mava_sandbox: RunningSandbox,
    stub: SlackStub,
) -> None:
    runtime, base, sender = bot
    mava, slack = mava_sandbox, stub
    async with httpx.AsyncClient() as client:
        assert await _health(client, base) == 200

        await asyncio.to_thread(cluster.stop)
        await _until(client, base, 503, deadline=10)
        body = (await client.get(f"{base}/healthz")).json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"].startswith("error")

        await asyncio.to_thread(cluster.start)
        await _until(client, base, 200, deadline=20)

    # And real work that needs the database (idempotency key, audit row) goes through.
    ticket = next(t for t in reversed(mava.sandbox.tickets) if t["status"] == "Open")
    before = len(ticket["messages"])
    ack = await sender.command(f"reply {ticket['_id']} Back after the restart", user_id="U0JANE")
    assert ack.status_code == 200
    answer = (await slack.wait_for("response_url", timeout=15))[-1]
    assert "Sent to the customer" in answer.params["text"]
    assert len(ticket["messages"]) == before + 1
    rows = await runtime.deps.audit.recent()
    assert rows[0].action == "reply" and rows[0].outcome == "ok"
