"""Burst, phase C: three `mava-bot run` replicas on PostgreSQL share one Mava key.

The sandbox enforces 90 per 30 s for the key; each replica keeps the default
MAVA_RATE_LIMIT (90), so only the budget they share in PostgreSQL keeps them within it.

Step 1: 300 signed `/mava note` (one ticket each), 15 every 0.5 s over 10 s, each batch
to the next replica in turn; we wait until every note is in Mava. While it runs, the
`mava_sends` table is sampled: its rows are the sends the replicas counted together.

Step 2: three channels subscribe to a digest every minute (`/mava subscribe digest
cron`), so at the next minute the leader fetches three 5,000-ticket digests at once
(0.25 s per /api call), which fills background's share of the window (81 of 90) with
more pages waiting. Then `/mava show`
commands go to the three replicas in turn; each one's wait runs from its send to the
arrival of its Mava request at the sandbox.

Needs PostgreSQL: BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres; it creates and drops a database
of its own (`bench_replicas`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
from _bot import Bot, running_bot
from _loadgen import fire_in_subprocess, http_post
from sqlalchemy.engine import make_url

from mava_sandbox.mava_server import MavaSandbox, RequestRecord, running_mava_sandbox
from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET, sign, slash_command
from mava_sandbox.slack_stub import RESPONSE_URL, SlackStub, running_slack_stub

LIMIT, WINDOW = 90, 30.0
RESERVE = LIMIT // 10
USER, CHANNEL = "U0JANE", "C0SUPPORT"
REPLICAS = 3
NOTES, SPREAD, BATCHES = 300, 10.0, 20
DIGEST_TICKETS = 5_000
DIGEST_CHANNELS = ("C0DIGEST1", "C0DIGEST2", "C0DIGEST3")
LATENCY = 0.25  # seconds per /api call in step 2
SHOWS, SHOW_GAP = 6, 1.5
DATABASE = "bench_replicas"
# BENCH_LOGS=DIR keeps each replica's log lines there (LOG_LEVEL as set, default WARNING).
LOGS = Path(os.environ["BENCH_LOGS"]) if os.environ.get("BENCH_LOGS") else None
DELIVERY_TIMEOUT, ANSWER_TIMEOUT, SATURATION_TIMEOUT, SHOW_TIMEOUT = 180.0, 30.0, 100.0, 40.0


def admin_dsn() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    url = url or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    parsed = make_url(url).set(drivername="postgresql", database="postgres")
    return parsed.render_as_string(hide_password=False)


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """`bench_replicas`, created empty (dropped first if a run left it); its URL."""
    admin = await asyncpg.connect(admin_dsn())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
        try:
            url = make_url(admin_dsn()).set(drivername="postgresql+asyncpg", database=DATABASE)
            yield url.render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        await admin.close()


def max_in_window(times: list[float], window: float = WINDOW) -> int:
    best = first = 0
    for last, at in enumerate(times):
        while times[first] <= at - window:
            first += 1
        best = max(best, last - first + 1)
    return best


def in_window_before(records: list[RequestRecord], at: float) -> int:
    return sum(1 for r in records if at - WINDOW < r.time <= at)


def is_show(record: RequestRecord) -> bool:
    return (
        record.path == "/api/tickets"
        and ("sortOrder", "asc") in record.query
        and not any(k == "status" for k, _ in record.query)
    )


def is_digest_page(record: RequestRecord) -> bool:
    return record.path == "/api/tickets" and not is_show(record)


def internal_notes(sandbox: MavaSandbox, ticket_ids: list[str]) -> int:
    count = 0
    for ticket_id in ticket_ids:
        ticket = sandbox.get(ticket_id)
        assert ticket is not None
        count += sum(1 for m in ticket["messages"] if m.get("messageType") == "InternalNote")
    return count


async def answered(slack: SlackStub, names: set[str]) -> int:
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while True:
        done = {c.target for c in slack.calls(RESPONSE_URL) if c.ok and c.target in names}
        if len(done) == len(names) or time.monotonic() >= deadline:
            return len(done)
        await asyncio.sleep(0.25)


@dataclass
class Burst:
    sent_seconds: float
    acks_not_200: int
    requests: int
    writes: int
    too_many: int
    other_failures: int
    peak: int
    delivered: int
    answered: int
    last_delivery: float
    shared_most: int


@dataclass
class During:
    subscribed: int
    saturated_after: float
    waits: list[tuple[int, float, int]]  # (replica, wait, digest pages in the window)
    answered: int
    pages: int
    too_many: int
    peak: int


class Sampler:
    """Samples the `mava_sends` table (the replicas' shared window) while it runs."""

    def __init__(self, url: str) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
        self.most = 0
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            while True:
                held = await conn.fetchval(
                    "SELECT count(*) FROM mava_sends WHERE sent_at > clock_timestamp() - "
                    "make_interval(secs => $1)",
                    WINDOW,
                )
                self.most = max(self.most, int(held or 0))
                await asyncio.sleep(0.5)
        finally:
            await conn.close()


async def send_command(
    client: httpx.AsyncClient, bot: Bot, slack: SlackStub, text: str, name: str, channel: str
) -> None:
    body = slash_command(
        text,
        user_id=USER,
        channel_id=channel,
        response_url=slack.response_url(name, channel=channel),
    )
    response = await client.post(
        bot.events_url, content=body, headers=sign(DEFAULT_SIGNING_SECRET, body)
    )
    response.raise_for_status()


async def write_burst(
    bots: list[Bot], slack: SlackStub, sandbox: MavaSandbox, tickets: list[str], db_url: str
) -> Burst:
    names = [f"note{i}" for i in range(NOTES)]
    per_batch = NOTES // BATCHES
    requests = []
    for i, (ticket, name) in enumerate(zip(tickets, names, strict=True)):
        body = slash_command(
            f"note {ticket} Replica burst note {i}",
            user_id=USER,
            channel_id=CHANNEL,
            response_url=slack.response_url(name, channel=CHANNEL),
        )
        target = bots[(i // per_batch) % REPLICAS].events_url  # batch by batch, in turn
        requests.append(http_post(target, body, sign(DEFAULT_SIGNING_SECRET, body)))
    sampler = Sampler(db_url)
    sampler.task = asyncio.create_task(sampler.run())
    sandbox.reset_requests()
    began, clock = time.time(), time.monotonic()
    firing = []
    for batch in range(BATCHES):
        await asyncio.sleep(max(0.0, clock + batch * SPREAD / BATCHES - time.monotonic()))
        chunk = requests[batch * per_batch : (batch + 1) * per_batch]
        target = bots[batch % REPLICAS].events_url
        firing.append(asyncio.create_task(fire_in_subprocess(target, chunk)))
    acks = [status for results in await asyncio.gather(*firing) for _, status in results]
    sent_seconds = time.time() - began
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while internal_notes(sandbox, tickets) < NOTES and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.5)
    delivered = internal_notes(sandbox, tickets)
    users = await answered(slack, set(names))
    sampler.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sampler.task
    records = sorted(sandbox.requests, key=lambda r: r.time)
    times = [r.time for r in records]
    writes = [r for r in records if r.path == "/api/message" and r.status == 200]
    return Burst(
        sent_seconds=sent_seconds,
        acks_not_200=sum(1 for s in acks if s != 200),
        requests=len(records),
        writes=len(writes),
        too_many=sum(1 for r in records if r.status == 429),
        other_failures=sum(1 for r in records if r.status not in (200, 429)),
        peak=max_in_window(times),
        delivered=delivered,
        answered=users,
        last_delivery=max((r.time for r in writes), default=began) - began,
        shared_most=sampler.most,
    )


async def digest_and_shows(
    bots: list[Bot], slack: SlackStub, sandbox: MavaSandbox, shown: str
) -> During:
    sandbox.latency = LATENCY
    async with httpx.AsyncClient(timeout=10.0) as client:
        for i, channel in enumerate(DIGEST_CHANNELS):
            await send_command(
                client, bots[i], slack, 'subscribe digest cron "* * * * *"', f"sub{i}", channel
            )
        subscribed = await answered(slack, {f"sub{i}" for i in range(len(DIGEST_CHANNELS))})
        sandbox.reset_requests()
        started = time.time()
        deadline = time.monotonic() + SATURATION_TIMEOUT
        while time.monotonic() < deadline:
            digest = [r for r in sandbox.requests if is_digest_page(r)]
            if in_window_before(digest, time.time()) >= LIMIT - RESERVE:
                break
            await asyncio.sleep(0.05)
        saturated_after = time.time() - started
        waits: list[tuple[int, float, int]] = []
        for i in range(SHOWS):
            if i:
                await asyncio.sleep(SHOW_GAP)
            replica = i % REPLICAS
            records = list(sandbox.requests)
            sent = time.time()
            digest_now = in_window_before([r for r in records if is_digest_page(r)], sent)
            await send_command(client, bots[replica], slack, f"show {shown}", f"show{i}", CHANNEL)
            arrival = await wait_for_show(sandbox, sent)
            waits.append((replica, arrival - sent, digest_now))
        shows_answered = await answered(slack, {f"show{i}" for i in range(SHOWS)})
    records = sorted(sandbox.requests, key=lambda r: r.time)
    return During(
        subscribed=subscribed,
        saturated_after=saturated_after,
        waits=waits,
        answered=shows_answered,
        pages=sum(1 for r in records if is_digest_page(r)),
        too_many=sum(1 for r in records if r.status == 429),
        peak=max_in_window([r.time for r in records]),
    )


async def wait_for_show(sandbox: MavaSandbox, sent: float) -> float:
    deadline = time.monotonic() + SHOW_TIMEOUT
    while time.monotonic() < deadline:
        arrivals = [r.time for r in sandbox.requests if is_show(r) and r.time >= sent]
        if arrivals:
            return min(arrivals)
        await asyncio.sleep(0.005)
    return sent + SHOW_TIMEOUT


async def phase_c() -> tuple[list[str], dict[str, bool]]:
    sandbox = MavaSandbox(tickets=0, rate_limit=LIMIT, rate_window=WINDOW)
    for _ in range(DIGEST_TICKETS):
        sandbox.add_ticket(status="Open")
    agent = next(iter(sandbox.agents))
    # Assigned, so the digests (unassigned tickets) stay at 5,000.
    tickets = [str(sandbox.add_ticket(assignedTo=agent)["_id"]) for _ in range(NOTES)]
    # A ticket of its own (resolved, a day old) so `show` finds it in one page.
    day_ago = sandbox.now() - timedelta(days=1)
    shown = str(sandbox.add_ticket(status="Resolved", createdAt=day_ago)["_id"])
    async with (
        fresh_database() as db_url,
        running_mava_sandbox(sandbox) as mava,
        running_slack_stub() as slack,
        contextlib.AsyncExitStack() as stack,
    ):
        bots = []
        for _ in range(REPLICAS):  # one after the other: the first migrates
            bot = await stack.enter_async_context(
                running_bot(
                    mava,
                    slack,
                    LOGS / f"replica{len(bots) + 1}.log" if LOGS else None,
                    DATABASE_URL=db_url,
                    LOG_LEVEL="INFO" if LOGS else "WARNING",
                    LEADER_CHECK_SECONDS="1",
                    POLL_INTERVAL_SECONDS="2",  # the leader sees new subscriptions quickly
                )
            )
            bots.append(bot)
        burst = await write_burst(bots, slack, sandbox, tickets, db_url)
        during = await digest_and_shows(bots, slack, sandbox, shown)
    return report(burst, during)


def report(burst: Burst, during: During) -> tuple[list[str], dict[str, bool]]:
    worst = max(wait for _, wait, _ in during.waits)
    held = sum(1 for _, _, count in during.waits if count >= LIMIT - RESERVE)
    checks = {
        "zero 429": burst.too_many == 0 and during.too_many == 0,
        "window": burst.peak <= LIMIT and during.peak <= LIMIT and burst.shared_most <= LIMIT,
        "delivered": burst.delivered == NOTES and burst.answered == NOTES,
        "user wait": worst < 2.0 and during.answered == SHOWS,
        "saturated": all(count >= LIMIT - RESERVE for _, _, count in during.waits),
    }
    rows = [
        f"| {i + 1} | replica {replica + 1} | {wait:.2f} s | {count} |"
        for i, (replica, wait, count) in enumerate(during.waits)
    ]
    lines = [
        f"**Phase C (replicas).** {REPLICAS} `mava-bot run` replicas (HTTP mode) on one"
        f" PostgreSQL database, one sandbox key enforced at {LIMIT} per {WINDOW:.0f} s, every"
        f" replica with the default MAVA_RATE_LIMIT ({LIMIT}): only the budget they share keeps"
        f" them within the key. {NOTES} signed `/mava note TICKET text`,"
        f" {NOTES // BATCHES} every {SPREAD / BATCHES:.1f} s over {SPREAD:.0f} s (sent in"
        f" {burst.sent_seconds:.1f} s), each batch to the next replica in turn.",
        "",
        "| metric | value | target |",
        "|---|---|---|",
        f"| 429s answered by Mava | {burst.too_many} | 0 |",
        f"| other non-200 answers from Mava | {burst.other_failures} | 0 |",
        f"| notes delivered | {burst.delivered}/{NOTES} | {NOTES} |",
        f"| Mava requests in all / PUT /api/message 200 | {burst.requests} / {burst.writes} | |",
        f"| most requests in any {WINDOW:.0f}-s sliding window (sandbox log)"
        f" | {burst.peak} | <= {LIMIT} |",
        f"| most sends in the shared window (`mava_sends`, sampled every 0.5 s)"
        f" | {burst.shared_most} | <= {LIMIT} |",
        f"| first command sent -> last note in Mava | {burst.last_delivery:.1f} s | |",
        f"| users answered at their response_url | {burst.answered}/{NOTES} | {NOTES} |",
        f"| non-200 acks | {burst.acks_not_200} | 0 |",
        "",
        f"Then {len(DIGEST_CHANNELS)} channels subscribe to a digest every minute"
        f" ({during.subscribed} confirmed); at the next minute the leader fetches"
        f" {len(DIGEST_CHANNELS)} digests of {DIGEST_TICKETS} tickets at once"
        f" ({LATENCY:.2f} s per /api call), filling"
        f" background's share ({LIMIT - RESERVE} of {LIMIT}; reached"
        f" {during.saturated_after:.1f} s after subscribing). {SHOWS} signed `/mava show"
        f" TICKET`, {SHOW_GAP:.1f} s apart, to the replicas in turn. Wait = sandbox arrival of"
        " the command's GET /api/tickets - the time it was sent.",
        "",
        f"| command | sent to | wait for its turn | digest pages in the last {WINDOW:.0f} s |",
        "|---|---|---|---|",
        *rows,
        "",
        "| metric | value | target |",
        "|---|---|---|",
        f"| max wait of a user command | {worst:.2f} s | < 2 s |",
        f"| commands sent while digest pages held background's whole share (>= {LIMIT - RESERVE})"
        f" | {held}/{SHOWS} | |",
        f"| users answered | {during.answered}/{SHOWS} | {SHOWS} |",
        f"| digest pages fetched by the last command's answer | {during.pages} | |",
        f"| 429s answered by Mava | {during.too_many} | 0 |",
        f"| most requests in any {WINDOW:.0f}-s sliding window | {during.peak} | <= {LIMIT} |",
        "",
        f"Note: each replica alone would allow {LIMIT} per {WINDOW:.0f} s, so three replicas with"
        f" their own limiters could send {REPLICAS * LIMIT}; the sandbox saw at most"
        f" {max(burst.peak, during.peak)} in any window and `mava_sends` held at most"
        f" {burst.shared_most}, so every send went through the one shared window. The users'"
        " commands went to all three replicas (two of them followers, whose own queues were"
        f" empty); {held} of {SHOWS} were sent while the leader's digest pages held"
        f" background's whole share of that shared window, and the slowest waited {worst:.2f} s:"
        " the reserve for people holds across replicas.",
    ]
    return lines, checks
