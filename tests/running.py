"""Helpers for tests that run `mava-bot run` as a process: ports, environment, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.store import follows
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

# A Slack member whose email matches the seeded Mava agent "Omar Haddad".
OMAR = "U0OMAR"

# Each xdist worker's ports for the bots it starts: gw0 from 20,000, gw1 from 20,500…
PORTS_FROM = 20_000
PORTS_PER_WORKER = 500


def _port_numbers() -> Iterator[int]:
    """This worker's own ports, below the kernel's ephemeral range: a port picked by
    binding port 0 is an ephemeral one, and between the pick and the bot's bind another
    worker's outgoing connection could take it as its local port (seen in a full run:
    "address already in use"). No connection takes a port outside that range by itself,
    and each xdist worker has a slice of its own."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    first = PORTS_FROM + worker * PORTS_PER_WORKER
    if first + PORTS_PER_WORKER > low:  # no room below it here: the kernel's pick
        return iter(())
    return itertools.cycle(range(first, first + PORTS_PER_WORKER))


_PORTS = _port_numbers()


def free_port() -> int:
    """A port nothing listens on, for a bot to bind (or for a client to find closed)."""
    for port in itertools.islice(_PORTS, PORTS_PER_WORKER):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # taken by someone else: the next one
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_env(mava: RunningSandbox, slack: SlackStub, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MAVA_"))}
    env.update(
        SLACK_BOT_TOKEN=DEFAULT_BOT_TOKEN,
        SLACK_SIGNING_SECRET=DEFAULT_SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        MAVA_API_TOKEN=mava.api_key,
        MAVA_API_URL=mava.url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        HOST="127.0.0.1",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


async def wait_healthy(url: str, deadline: float = 20.0) -> httpx.Response:
    started = time.monotonic()
    async with httpx.AsyncClient() as client:
        while True:
            try:
                response = await client.get(url)
                if response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass
            if time.monotonic() - started > deadline:
                raise AssertionError(f"{url} never became healthy")
            await asyncio.sleep(0.1)


async def wait_for(check: Callable[[], Any], within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.05)


async def wait_for_changes(read: Callable[[], Any], times: int, within: float, what: str) -> None:
    """Wait until `read()` has answered a new value `times` times: e.g. a watermark the
    bot rewrites each poll, so "a few more polls went by" is seen, not slept on (a wait
    that misses a change under load only waits for one more)."""
    last, seen = read(), 0

    def changed() -> bool:
        nonlocal last, seen
        now = read()
        if now != last:
            last, seen = now, seen + 1
        return seen >= times

    await wait_for(changed, within, f"{what} ({times} times)")


def mava_rounds(mava: RunningSandbox, since: float, path: str = "/api/") -> int:
    """How many rounds of the bot's Mava requests (to `path`...) arrived after `since`
    (Unix seconds): a poll or sync asks its pages back to back, and its next turn starts
    an interval (1 s or more in these tests) later, so a pause of half a second or more
    starts a round. A turn starts only after the one before has finished: seeing round
    N+1 begin means round N has done all it would do."""
    times = [r.time for r in mava.sandbox.requests if r.time > since and r.path.startswith(path)]
    return sum(
        1 for before, after in itertools.pairwise([since - 1.0, *times]) if after - before >= 0.5
    )


async def three_more_rounds(mava: RunningSandbox, what: str, path: str = "/api/") -> None:
    """Wait until three more rounds of the bot's Mava requests (to `path`...) begin, so
    two more have run to the end: anything it might (wrongly) post, it has posted by then."""
    now = time.time()
    await wait_for(lambda: mava_rounds(mava, now, path) >= 3, 30, f"three more {what}")


def sqlite_value(database: Path, query: str, *params: Any) -> Any:
    """The first column of the first row `query` finds in the bot's SQLite file (None
    without a row, or before the bot has made the file and its tables)."""
    try:
        # Read-only: never creates the file before the bot does.
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            row = db.execute(query, params).fetchone()
    except sqlite3.OperationalError:  # no file or table yet, or briefly locked
        return None
    return None if row is None else row[0]


def add_omar(slack: SlackStub) -> None:
    """Make Omar a Slack member, so what Mava assigns to him is DMed to OMAR."""
    slack.add_user(OMAR, name="omar", real_name="Omar Haddad", email="omar@example.com")


def desk_polled(database: Path) -> Any:
    """When the desk's DM poll last recorded what is assigned (each poll rewrites it)."""
    query = "SELECT updated_at FROM poll_watermarks WHERE query_key = 'desk:assignments'"
    return sqlite_value(database, query)


def daily_cron_that_fired(minutes_ago: int) -> tuple[str, datetime]:
    """A daily crontab (UTC) whose latest fire time was `minutes_ago` minutes ago, and
    that fire time: the start-up catch-up posts that digest at once."""
    fire = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).replace(second=0, microsecond=0)
    return f"{fire.minute} {fire.hour} * * *", fire


async def start_bot(env: dict[str, str], cwd: Path, log: Path) -> asyncio.subprocess.Process:
    """`python -m mava_bridge run` with `env`, its output (JSON log lines) appended to `log`."""
    with log.open("a") as out:  # the child keeps its own copy of the file
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mava_bridge", "run", env=env, cwd=cwd, stdout=out, stderr=out
        )


@contextlib.asynccontextmanager
async def running_bot(
    env: dict[str, str], cwd: Path, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`start_bot`'s process, killed on the way out if it still runs (the test failed or
    timed out before stopping it) and then awaited: no bot outlives its test to hold a
    port or write to a shared database, and no zombie or open transport is left."""
    process = await start_bot(env, cwd, log)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def followed_card(
    mava: RunningSandbox, slack: SlackStub, database: Path, channel: str
) -> tuple[str, str]:
    """An open ticket whose card the bot posted in `channel` and follows there, written
    into the bot's SQLite database before it starts: (ticket id, the card's ts)."""
    ticket = str(mava.sandbox.add_ticket(status="Open")["_id"])
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=slack.api_url)
    card = await client.chat_postMessage(channel=channel, text="card")
    db = Database(f"sqlite+aiosqlite:///{database}")
    await db.migrate()
    await follows.follow(
        db,
        ticket_id=ticket,
        channel_id=channel,
        thread_ts=card["ts"],
        ticket_created_at=mava.sandbox._by_id[ticket]["createdAt"],
        followed_by="U1",
        now=datetime.now(UTC),
    )
    await db.dispose()
    return ticket, str(card["ts"])


async def sigterm_timed(process: asyncio.subprocess.Process) -> tuple[int, float]:
    """SIGTERM `process` and wait (at most 60 s): its exit code and the seconds it took."""
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), 60)
    return code, time.monotonic() - signalled
