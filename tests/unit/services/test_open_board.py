"""The open-tickets board (#14): complete, cached, one read however many ask at once,
keeping of each ticket only the messages the desk reads."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from datetime import UTC, datetime, timedelta

import pytest
from fast_mava import fast_client
from running import wait_for

from mava_bridge.domain.send_window import FLOOR
from mava_bridge.domain.tickets import OPEN_STATUSES
from mava_bridge.domain.waiting import waiting_period_start, waiting_since
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.errors import MavaError
from mava_bridge.mava.ratelimit import background
from mava_bridge.services.open_board import OpenBoard
from mava_sandbox.mava_server import RunningSandbox


def open_ids(running: RunningSandbox, years: int = 5) -> set[str]:
    since = datetime.now(UTC) - timedelta(days=365 * years)
    return {
        t["_id"]
        for t in running.sandbox.tickets
        if t["status"] in OPEN_STATUSES and t["createdAt"] > since
    }


def searches(running: RunningSandbox) -> int:
    return sum(1 for r in running.sandbox.requests if r.path == "/api/tickets")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_the_board_holds_every_open_ticket_with_messages(
    switched: RunningSandbox, client: MavaClient
) -> None:
    sandbox = switched.sandbox
    churn, sandbox.churn = sandbox.churn, 0
    old = sandbox.add_ticket(status="Pending", createdAt=datetime.now(UTC) - timedelta(days=500))
    for index in range(150):
        sandbox.add_ticket(status=("Open", "Pending", "Waiting", "Resolved")[index % 4])
    before = open_ids(switched)
    sandbox.churn = churn
    sandbox.reset_requests()
    snapshot = await OpenBoard(client).snapshot()
    ids = [t.id for t in snapshot.tickets]
    assert len(ids) == len(set(ids))
    assert all(t.status in OPEN_STATUSES and t.messages is not None for t in snapshot.tickets)
    assert old["_id"] in ids  # the second year back is read too
    assert snapshot.pages == searches(switched)
    if not churn:
        assert set(ids) == before
    if not churn and not sandbox.random_ties:  # ties re-read in another order cost a page
        # the pages of each non-empty year, plus the empty year that ends the read
        assert snapshot.pages <= math.ceil(len(ids) / 100) + 2


async def test_a_fresh_snapshot_is_served_from_memory(
    mava_sandbox: RunningSandbox, mava: MavaClient
) -> None:
    clock = Clock()
    board = OpenBoard(mava, refresh_seconds=60, clock=clock)
    first = await board.snapshot()
    used = searches(mava_sandbox)
    # Kept as long as a sixth of the budget needs (90 per 30 s: 2 s a page), at least
    # FLOOR, at most DESK_REFRESH_SECONDS (domain.send_window.read_interval).
    assert board.kept_for == max(FLOOR, first.pages * 2.0) and board.kept_for < 60
    clock.now += board.kept_for - 0.5
    assert await board.snapshot() is first
    assert searches(mava_sandbox) == used
    assert await board.snapshot(max_age=120) is first
    fresh = await board.snapshot(max_age=0.1)  # the Refresh button's "newer than this"
    assert fresh is not first and searches(mava_sandbox) == 2 * used
    clock.now += board.kept_for + 0.5
    assert await board.snapshot() is not fresh
    assert board.reads == 3


async def test_thirty_callers_at_once_share_one_read(
    mava_sandbox: RunningSandbox, mava: MavaClient
) -> None:
    mava_sandbox.sandbox.latency = 0.05  # slow enough for all 30 to arrive during the read
    board = OpenBoard(mava)
    mava_sandbox.sandbox.reset_requests()
    snapshots = await asyncio.gather(*(board.snapshot() for _ in range(30)))
    assert board.reads == 1
    assert all(s is snapshots[0] for s in snapshots)
    assert searches(mava_sandbox) == snapshots[0].pages


async def test_a_caller_giving_up_does_not_cancel_the_read_for_the_others(
    mava_sandbox: RunningSandbox, mava: MavaClient
) -> None:
    mava_sandbox.sandbox.latency = 0.05
    board = OpenBoard(mava)
    impatient = asyncio.ensure_future(board.snapshot())
    patient = asyncio.ensure_future(board.snapshot())
    await asyncio.sleep(0.01)
    impatient.cancel()
    snapshot = await patient
    assert snapshot.tickets and board.reads == 1 and board.last is snapshot


async def test_a_failed_read_raises_to_every_waiter_and_is_not_cached(
    mava_sandbox: RunningSandbox, mava: MavaClient
) -> None:
    clock = Clock()
    board = OpenBoard(mava, clock=clock)
    first = await board.snapshot()
    clock.now += 61
    mava_sandbox.sandbox.inject("status", status=500, times=None, path="/api/tickets")
    results = await asyncio.gather(*(board.snapshot() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, MavaError) for r in results)
    assert board.reads == 2 and board.last is first  # the old one is still there to show
    mava_sandbox.sandbox.faults.clear()
    assert await board.snapshot() is not first
    assert board.reads == 3


async def test_background_jobs_read_in_the_background_lane(
    mava_sandbox: RunningSandbox, mava: MavaClient
) -> None:
    board = OpenBoard(mava)
    with background():
        snapshot = await board.snapshot()
    assert snapshot.tickets
    assert {t.id for t in snapshot.tickets} == open_ids(mava_sandbox)


@pytest.mark.parametrize("years", [1, 2])
async def test_never_more_years_than_allowed(
    mava_sandbox: RunningSandbox, mava: MavaClient, years: int
) -> None:
    sandbox = mava_sandbox.sandbox
    for back in range(4):
        sandbox.add_ticket(createdAt=datetime.now(UTC) - timedelta(days=200 + 365 * back))
    sandbox.reset_requests()
    snapshot = await OpenBoard(mava, max_years=years).snapshot()
    assert {t.id for t in snapshot.tickets} == open_ids(mava_sandbox, years)


async def test_a_ticket_read_back_after_a_write_replaces_its_old_self(
    mava_sandbox: RunningSandbox, mava: MavaClient
) -> None:
    sandbox = mava_sandbox.sandbox
    ticket = sandbox.add_ticket(status="Open")
    board = OpenBoard(mava)
    before = await board.snapshot()
    sandbox.dashboard(ticket["_id"], assignee="Jane Smith")
    board.update(await mava.get_ticket(ticket["_id"]))
    after = await board.snapshot()
    assert after.read_at == before.read_at and board.reads == 1
    [found] = [t for t in after.tickets if t.id == ticket["_id"]]
    assert found.assigned_to is not None
    sandbox.dashboard(ticket["_id"], status="Resolved")
    board.update(await mava.get_ticket(ticket["_id"]))
    assert ticket["_id"] not in {t.id for t in (await board.snapshot()).tickets}
    assert len((await board.snapshot()).tickets) == len(before.tickets) - 1


async def test_the_board_keeps_only_the_messages_the_desk_reads(
    mava_sandbox: RunningSandbox, mava: MavaClient
) -> None:
    sandbox = mava_sandbox.sandbox
    ticket = sandbox.add_ticket(status="Open", messages=["first question"])
    for n in range(30):
        sandbox.agent_writes(ticket["_id"], f"answer {n}", agent="Jane Smith")
        sandbox.customer_writes(ticket["_id"], f"again {n}")
    sandbox.agent_writes(ticket["_id"], "a note", agent="Jane Smith", note=True)
    sandbox.customer_writes(ticket["_id"], "still there?")
    board = OpenBoard(mava)
    [kept] = [t for t in (await board.snapshot()).tickets if t.id == ticket["_id"]]
    whole = await mava.get_ticket(ticket["_id"])
    assert [m.content for m in kept.messages or []] == [
        "first question",
        "answer 29",
        "again 29",
        "still there?",
    ]
    assert waiting_since(kept) == waiting_since(whole) is not None
    assert waiting_period_start(kept) == waiting_period_start(whole)
    sandbox.agent_writes(ticket["_id"], "done soon", agent="Jane Smith")
    board.update(await mava.get_ticket(ticket["_id"]))  # read back after a write: kept the same way
    [kept] = [t for t in (await board.snapshot()).tickets if t.id == ticket["_id"]]
    assert [m.content for m in kept.messages or []] == ["first question", "done soon"]


async def test_a_costly_read_is_kept_so_the_board_spends_a_sixth_of_the_budget(
    mava_sandbox: RunningSandbox, mava: MavaClient, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    board = OpenBoard(mava, refresh_seconds=1, budget=(90, 30.0), clock=clock)
    with caplog.at_level("INFO", logger="mava_bridge.services.open_board"):
        first = await board.snapshot()
    # 15 of every 90 requests per 30 s: each page read buys 2 s of serving from memory.
    assert first.pages >= 2 and board.kept_for == first.pages * 2.0
    assert any("a sixth of the Mava budget" in r.getMessage() for r in caplog.records)
    clock.now += board.kept_for - 0.5  # past DESK_REFRESH_SECONDS, within the share
    assert await board.snapshot() is first and board.reads == 1
    assert await board.snapshot(max_age=0.1) is not first  # Refresh still reads anew
    clock.now += board.kept_for + 0.5
    await board.snapshot()
    assert board.reads == 3
    # A budget the reads hardly touch keeps DESK_REFRESH_SECONDS.
    roomy = OpenBoard(mava, refresh_seconds=1, budget=(100_000, 30.0), clock=clock)
    await roomy.snapshot()
    assert roomy.kept_for == 1


async def test_closing_the_board_ends_a_read_its_callers_left(
    mava_sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """At shutdown the jobs waiting on a read are cancelled, but the read is shielded from
    them: closing the board ends it, so it never asks the closed Mava client (an ERROR
    with a traceback, seen in a shutdown under load)."""
    client = fast_client(mava_sandbox)
    board = OpenBoard(client)
    mava_sandbox.sandbox.reset_requests()
    mava_sandbox.sandbox.latency = 0.5
    try:
        caller = asyncio.create_task(board.snapshot())
        await wait_for(lambda: mava_sandbox.sandbox.requests, 10, "the read's first page")
        caller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await caller
        with caplog.at_level(logging.INFO, logger="mava_bridge"):
            await board.close()
            await client.aclose()
    finally:
        mava_sandbox.sandbox.latency = 0.0
    reads = [t for t in asyncio.all_tasks() if "_read_all" in repr(t.get_coro())]
    assert reads == [] and board.last is None
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
