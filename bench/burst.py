"""Burst: 300 writes from Slack in 10 s, and a person's turn during a 5,000-ticket digest.

Targets (the issue): zero 429s from Mava, all 300 delivered, a sustained rate within 5% of
90 per 30 s; and a user command issued while a 5,000-ticket digest is being fetched waits
less than 2 s for its turn.

Phase A: the sandbox enforces Mava's real limit (90 per 30 s per key) and `mava-bot run`
keeps its default MAVA_RATE_LIMIT / MAVA_RATE_WINDOW_SECONDS. 300 signed `/mava note`
commands (one ticket each) arrive evenly over 10 s; we wait for every note to be in Mava.

Phase C (bench/_replicas.py): three `mava-bot run` replicas on PostgreSQL share one
sandbox key (90 per 30 s enforced): 300 writes spread over them in 10 s, then users'
commands to each replica while the leader fetches 5,000-ticket digests.

Phase B: a fresh sandbox (its own budget) holds 5,000 open unassigned tickets and takes
0.25 s per /api call. DIGEST_SCHEDULE is every minute and the bot is started ~8 s before
a minute boundary: the digest of the minute just gone is caught up at start-up and the
next minute's fires a few seconds later, so two scheduled digests (100 background page
fetches) overlap and fill background's whole share of the window (81 of 90). While they
are held back, `/mava show` commands are sent; each one's wait runs from its send to the
arrival of its Mava request at the sandbox.

    .venv/bin/python bench/burst.py            # all phases; rewrites the burst section
    .venv/bin/python bench/burst.py replicas   # phase C alone, printed only

Phase C needs PostgreSQL (BENCH_DATABASE_URL, else TEST_DATABASE_URL, else
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres); it uses a database of its own.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx
from _bot import running_bot
from _common import write_section
from _loadgen import fire_in_subprocess, http_post
from _replicas import phase_c

from mava_sandbox.mava_server import MavaSandbox, RequestRecord, running_mava_sandbox
from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET, sign, slash_command
from mava_sandbox.slack_stub import RESPONSE_URL, SlackStub, running_slack_stub

LIMIT, WINDOW = 90, 30.0  # Mava's, enforced by the sandbox
RESERVE = LIMIT // 10  # the limiter's default reserve for people
USER, CHANNEL = "U0JANE", "C0SUPPORT"

NOTES = 300
SPREAD = 10.0  # seconds over which the notes arrive
BATCHES = 20  # sent every SPREAD / BATCHES seconds, NOTES / BATCHES at a time
DELIVERY_TIMEOUT = 150.0
ANSWER_TIMEOUT = 30.0

DIGEST_TICKETS = 5_000
DIGEST_CHANNEL = "C0DIGEST"
LATENCY = 0.25  # seconds per /api call in phase B: a 50-page digest takes >= 12.5 s
START_SECOND = 52  # start the phase-B bot at this second of a minute (see the docstring)
SHOWS = 5
SHOW_GAP = 2.5  # seconds between the `/mava show` commands
SATURATION_TIMEOUT = 45.0
SHOW_TIMEOUT = 40.0


# --- shared measurements ----------------------------------------------------------------


def api_requests(sandbox: MavaSandbox) -> list[RequestRecord]:
    return sorted(sandbox.requests, key=lambda r: r.time)


def max_in_window(times: list[float], window: float = WINDOW) -> int:
    """Most requests in any half-open span (t - window, t]: what the sandbox counts."""
    best = first = 0
    for last, at in enumerate(times):
        while times[first] <= at - window:
            first += 1
        best = max(best, last - first + 1)
    return best


def in_window_before(records: list[RequestRecord], at: float) -> int:
    return sum(1 for r in records if at - WINDOW < r.time <= at)


# --- phase A: 300 writes in 10 s --------------------------------------------------------


def internal_notes(sandbox: MavaSandbox, ticket_ids: list[str]) -> int:
    count = 0
    for ticket_id in ticket_ids:
        ticket = sandbox.get(ticket_id)
        assert ticket is not None
        count += sum(1 for m in ticket["messages"] if m.get("messageType") == "InternalNote")
    return count


async def phase_a() -> tuple[list[str], dict[str, bool]]:
    async with (
        running_mava_sandbox(tickets=0, rate_limit=LIMIT, rate_window=WINDOW) as mava,
        running_slack_stub() as slack,
        running_bot(mava, slack) as bot,  # default MAVA_RATE_LIMIT / _WINDOW_SECONDS
    ):
        sandbox = mava.sandbox
        tickets = [str(sandbox.add_ticket()["_id"]) for _ in range(NOTES)]
        names = [f"note{i}" for i in range(NOTES)]
        requests = []
        for i, (ticket, name) in enumerate(zip(tickets, names, strict=True)):
            body = slash_command(
                f"note {ticket} Burst note number {i}",
                user_id=USER,
                channel_id=CHANNEL,
                response_url=slack.response_url(name, channel=CHANNEL),
            )
            requests.append(http_post(bot.events_url, body, sign(DEFAULT_SIGNING_SECRET, body)))
        sandbox.reset_requests()
        per_batch = NOTES // BATCHES
        began = time.time()
        clock = time.monotonic()
        firing = []
        for batch in range(BATCHES):
            await asyncio.sleep(max(0.0, clock + batch * SPREAD / BATCHES - time.monotonic()))
            chunk = requests[batch * per_batch : (batch + 1) * per_batch]
            firing.append(asyncio.create_task(fire_in_subprocess(bot.events_url, chunk)))
        acks = [status for results in await asyncio.gather(*firing) for _, status in results]
        sent_seconds = time.time() - began
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while internal_notes(sandbox, tickets) < NOTES and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        delivered = internal_notes(sandbox, tickets)
        answered = await answers(slack, set(names))
        records = api_requests(sandbox)

    times = [r.time for r in records]
    writes = [r for r in records if r.path == "/api/message" and r.status == 200]
    too_many = sum(1 for r in records if r.status == 429)
    other_failures = sum(1 for r in records if r.status not in (200, 429))
    last_delivery = max((r.time for r in writes), default=began) - began
    peak = max_in_window(times)
    # Sustained rate: the first request opens k = floor(span / 30 s) whole windows before
    # the last; the rate is the requests in [first, first + k*30 s) divided by k.
    span = times[-1] - times[0] if times else 0.0
    k = int(span // WINDOW)
    sustained = sum(1 for t in times if t < times[0] + k * WINDOW) / k if k else float("nan")
    per_window = [
        sum(1 for t in times if times[0] + i * WINDOW <= t < times[0] + (i + 1) * WINDOW)
        for i in range(k + 1)
    ]
    non_200_acks = sum(1 for status in acks if status != 200)
    checks = {
        "zero 429": too_many == 0,
        "all delivered": delivered == NOTES,
        "sustained": k > 0 and sustained >= LIMIT * 0.95 and peak <= LIMIT,
        "answered": answered == NOTES,
    }
    lines = [
        f"**Phase A.** {NOTES} signed `/mava note TICKET text` (one ticket each) into"
        f" `mava-bot run` (HTTP mode, SQLite, default MAVA_RATE_LIMIT/MAVA_RATE_WINDOW_SECONDS),"
        f" {per_batch} every {SPREAD / BATCHES:.1f} s over {SPREAD:.0f} s (sent in"
        f" {sent_seconds:.1f} s); the Mava sandbox enforces {LIMIT} requests per"
        f" {WINDOW:.0f} s per key (sliding window, 429 + Retry-After) with no added latency."
        " Times are the sandbox's arrival times of the bot's requests.",
        "",
        "| metric | value | target |",
        "|---|---|---|",
        f"| 429s answered by Mava | {too_many} | 0 |",
        f"| other non-200 answers from Mava | {other_failures} | 0 |",
        f"| notes delivered (internal notes on the tickets) | {delivered}/{NOTES} | {NOTES} |",
        f"| Mava requests in all / PUT /api/message 200 | {len(records)} / {len(writes)} | |",
        f"| most requests in any {WINDOW:.0f}-s sliding window | {peak} | <= {LIMIT} |",
        f"| requests per {WINDOW:.0f}-s window from the first"
        f" ([first + 30i, first + 30(i+1))) | {', '.join(map(str, per_window))} | |",
        f"| sustained rate: requests in [first, first + {k}x{WINDOW:.0f} s) / {k}"
        f" | {sustained:.1f} per {WINDOW:.0f} s | >= {LIMIT * 0.95:.1f} (within 5% of {LIMIT}) |",
        f"| first command sent -> last note in Mava | {last_delivery:.1f} s | |",
        f"| users answered at their response_url | {answered}/{NOTES} | {NOTES} |",
        f"| non-200 acks from the bot | {non_200_acks} | 0 |",
    ]
    return lines, checks


async def answers(slack: SlackStub, names: set[str]) -> int:
    """How many of the response URLs `names` got an answer (waits up to ANSWER_TIMEOUT)."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while True:
        done = {c.target for c in slack.calls(RESPONSE_URL) if c.ok and c.target in names}
        if len(done) == len(names) or time.monotonic() >= deadline:
            return len(done)
        await asyncio.sleep(0.25)


# --- phase B: a person's turn during a 5,000-ticket scheduled digest ----------------------


def is_show(record: RequestRecord) -> bool:
    """`/mava show` searches around the ticket's birth, oldest first, with no filters."""
    return (
        record.path == "/api/tickets"
        and ("sortOrder", "asc") in record.query
        and not any(k == "status" for k, _ in record.query)
    )


def is_digest_page(record: RequestRecord) -> bool:
    return record.path == "/api/tickets" and not is_show(record)


async def wait_for_start_second() -> None:
    """Sleep until START_SECOND of a minute (this minute's, or the next's if too late)."""
    now = datetime.now(UTC)
    target = now.replace(second=START_SECOND, microsecond=0)
    if target < now - timedelta(seconds=2):
        target += timedelta(minutes=1)
    await asyncio.sleep(max(0.0, (target - now).total_seconds()))


async def phase_b() -> tuple[list[str], dict[str, bool]]:
    sandbox = MavaSandbox(tickets=0, rate_limit=LIMIT, rate_window=WINDOW)
    for _ in range(DIGEST_TICKETS):
        sandbox.add_ticket(status="Open")
    # A ticket of its own (resolved, a day old) so `show` finds it in one page.
    shown = str(
        sandbox.add_ticket(status="Resolved", createdAt=sandbox.now() - timedelta(days=1))["_id"]
    )
    sandbox.latency = LATENCY
    await wait_for_start_second()
    waits: list[tuple[float, int, int, int]] = []  # (wait, window count, digest count, queued)
    async with (
        running_mava_sandbox(sandbox) as mava,
        running_slack_stub() as slack,
        running_bot(mava, slack, DIGEST_CHANNEL=DIGEST_CHANNEL, DIGEST_SCHEDULE="* * * * *") as bot,
        httpx.AsyncClient(timeout=10.0) as client,
    ):
        started = time.time()
        # Wait until background work has filled its share of Mava's window.
        deadline = time.monotonic() + SATURATION_TIMEOUT
        while time.monotonic() < deadline:
            digest = [r for r in api_requests(sandbox) if is_digest_page(r)]
            if in_window_before(digest, time.time()) >= LIMIT - RESERVE:
                break
            await asyncio.sleep(0.05)
        saturated_after = time.time() - started
        names = [f"show{i}" for i in range(SHOWS)]
        for i, name in enumerate(names):
            if i:
                await asyncio.sleep(SHOW_GAP)
            body = slash_command(
                f"show {shown}",
                user_id=USER,
                channel_id=CHANNEL,
                response_url=slack.response_url(name, channel=CHANNEL),
            )
            headers = sign(DEFAULT_SIGNING_SECRET, body)
            records = api_requests(sandbox)
            sent = time.time()
            window_count = in_window_before(records, sent)
            digest_count = in_window_before([r for r in records if is_digest_page(r)], sent)
            digest_pages = sum(1 for r in records if is_digest_page(r))
            response = await client.post(bot.events_url, content=body, headers=headers)
            response.raise_for_status()
            arrival = await wait_for_show(sandbox, sent)
            waits.append((arrival - sent, window_count, digest_count, digest_pages))
        answered = await answers(slack, set(names))
        # Let both digests finish, so the whole run's window counts are in.
        deadline = time.monotonic() + 60.0
        while (  # noqa: ASYNC110
            sum(1 for r in sandbox.requests if is_digest_page(r)) < 2 * DIGEST_TICKETS // 100
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.25)
        await asyncio.sleep(2 * LATENCY)
        records = api_requests(sandbox)
        fetch_seconds = records[-1].time - records[0].time if records else 0.0
        posts = len([c for c in slack.calls("chat.postMessage") if c.ok])

    pages = sum(1 for r in records if is_digest_page(r))
    too_many = sum(1 for r in records if r.status == 429)
    peak = max_in_window([r.time for r in records])
    worst = max(w for w, *_ in waits)
    reserve_used = all(count >= LIMIT - RESERVE for _, _, count, _ in waits)
    checks = {
        "user wait": worst < 2.0 and answered == SHOWS,
        "reserve exercised": reserve_used,
        "phase B zero 429": too_many == 0 and peak <= LIMIT,
    }
    rows = [
        f"| {i + 1} | {wait:.2f} s | {window} | {digest} | {pages_before} |"
        for i, (wait, window, digest, pages_before) in enumerate(waits)
    ]
    lines = [
        f"**Phase B.** A fresh sandbox (its own key budget, {LIMIT} per {WINDOW:.0f} s) with"
        f" {DIGEST_TICKETS} open unassigned tickets and {LATENCY:.2f} s latency per /api call;"
        f" `mava-bot run` with DIGEST_CHANNEL and DIGEST_SCHEDULE=`* * * * *`, started at"
        f" second {START_SECOND} of a minute: the digest of that minute is caught up at start-up"
        " and the next minute's fires a few seconds later, so two scheduled 5,000-ticket"
        f" digests (background lane, 50 pages each) overlap and fill background's share of the"
        f" window ({LIMIT - RESERVE} of {LIMIT}; reached {saturated_after:.1f} s after the bot"
        f" was ready). Then {SHOWS} signed `/mava show TICKET`, {SHOW_GAP:.1f} s apart. Wait ="
        " sandbox arrival time of the command's GET /api/tickets - the time the command was"
        " sent to the bot (ack, Slack user lookup and the limiter's queue included).",
        "",
        f"| command | wait for its turn | Mava requests in the last {WINDOW:.0f} s when sent"
        f" | of them digest pages | digest pages fetched so far |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "| metric | value | target |",
        "|---|---|---|",
        f"| max wait of a user command | {worst:.2f} s | < 2 s |",
        f"| users answered at their response_url | {answered}/{SHOWS} | {SHOWS} |",
        f"| digest pages (GET /api/tickets) fetched | {pages} | {2 * DIGEST_TICKETS // 100} |",
        f"| digest messages posted to Slack | {posts} | |",
        f"| 429s answered by Mava | {too_many} | 0 |",
        f"| most requests in any {WINDOW:.0f}-s sliding window | {peak} | <= {LIMIT} |",
        f"| first -> last Mava request | {fetch_seconds:.1f} s | |",
    ]
    return lines, checks


async def wait_for_show(sandbox: MavaSandbox, sent: float) -> float:
    """Arrival time of the first `show` request after `sent` (or sent + SHOW_TIMEOUT)."""
    deadline = time.monotonic() + SHOW_TIMEOUT
    while time.monotonic() < deadline:
        arrivals = [r.time for r in sandbox.requests if is_show(r) and r.time >= sent]
        if arrivals:
            return min(arrivals)
        await asyncio.sleep(0.005)
    return sent + SHOW_TIMEOUT


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


async def main() -> None:
    if sys.argv[1:] == ["replicas"]:
        c_lines, c = await phase_c()
        print("\n".join(c_lines))
        print(c)
        return
    began = time.monotonic()
    a_lines, a = await phase_a()
    b_lines, b = await phase_b()
    c_lines, c = await phase_c()
    lines = [
        *a_lines,
        "",
        *b_lines,
        "",
        *c_lines,
        "",
        f"- {verdict(a['zero 429'] and b['phase B zero 429'])}: zero 429s from Mava"
        " (both phases), no 30-s window over 90",
        f"- {verdict(a['all delivered'] and a['answered'])}: all {NOTES} notes delivered and"
        " every user answered",
        f"- {verdict(a['sustained'])}: sustained rate within 5% of {LIMIT} per {WINDOW:.0f} s",
        f"- {verdict(b['user wait'])}: a user command during a 5,000-ticket digest waits < 2 s"
        f" for its turn{'' if b['reserve exercised'] else ' (but background was not saturated)'}",
        f"- {verdict(c['zero 429'] and c['window'])}: replicas: zero 429s, no 30-s window over"
        f" {LIMIT} with three replicas each allowed {LIMIT}",
        f"- {verdict(c['delivered'])}: replicas: all {NOTES} notes delivered, every user answered",
        f"- {verdict(c['user wait'])}: replicas: a user command to any replica during the"
        " leader's 5,000-ticket digests waits < 2 s for its turn"
        f"{'' if c['saturated'] else ' (not every one sent while background held its share)'}",
        "",
        f"Whole run: {time.monotonic() - began:.0f} s.",
    ]
    body = "\n".join(lines)
    write_section("burst", body)


if __name__ == "__main__":
    asyncio.run(main())
