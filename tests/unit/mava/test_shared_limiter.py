"""SharedLimiter: processes sharing one budget never send more than `limit` in a window,
background work of all of them never fills the reserve, people go first locally, and a
process that cannot reach the budget falls back to its local share and says so once.

The budget here is an in-memory stand-in for the database (the PostgreSQL one is proven
in tests/unit/store/test_mava_budget.py); its rule is the same `seconds_until_free`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mava_bridge.domain.send_window import seconds_until_free
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.ratelimit import (
    ARRIVAL_MARGIN,
    Lane,
    SharedLimiter,
    background,
    describe_failure,
)
from mava_bridge.settings import Settings

LIMIT = 6
WINDOW = 1.5  # Mava's; the limiters add ARRIVAL_MARGIN
SPAN = WINDOW + ARRIVAL_MARGIN
# Grant times are read when `acquire` returns, a few ms after the grant (more on a busy
# machine): a window this much shorter still proves the limit.
JITTER = 0.1


class MemoryBudget:
    """One window shared by every limiter given it; `down` makes it fail like a
    database that cannot be reached, `hang` like one that does not answer."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []
        self.down = False
        self.hang = False
        self.calls = 0
        self.closed = False

    async def take(self, cap: int, window: float, lane: str) -> float:
        self.calls += 1
        if self.hang:
            await asyncio.sleep(3600)
        if self.down:
            raise ConnectionRefusedError("connect call failed ('127.0.0.1', 1)")
        now = time.monotonic()
        self.sent = [(t, lane_) for t, lane_ in self.sent if t + window > now]
        wait = seconds_until_free([t for t, _ in self.sent], now, cap, window)
        if wait == 0:
            self.sent.append((now, lane))
        return wait

    async def record(self, sent: Sequence[tuple[float, str]]) -> None:
        self.calls += 1
        if self.down:
            raise ConnectionRefusedError("connect call failed ('127.0.0.1', 1)")
        now = time.monotonic()
        self.sent = sorted([*self.sent, *((now - ago, lane) for ago, lane in sent)])

    async def aclose(self) -> None:
        self.closed = True


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


def test_seconds_until_free_examples() -> None:
    assert seconds_until_free([], 5.0, 1, 2.0) == 0.0
    assert seconds_until_free([1.0, 2.0], 2.5, 3, 2.0) == 0.0
    assert seconds_until_free([1.0, 2.0], 2.5, 2, 2.0) == pytest.approx(0.5)  # 1.0 leaves
    assert seconds_until_free([1.0, 2.0], 2.5, 1, 2.0) == pytest.approx(1.5)  # 2.0 leaves
    assert seconds_until_free([0.0, 1.0], 2.0, 2, 2.0) == 0.0  # 0.0 has just left
    with pytest.raises(ValueError):
        seconds_until_free([], 0.0, 0, 1.0)


@given(
    gaps=st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=60),
    cap=st.integers(min_value=1, max_value=8),
)
def test_granting_by_seconds_until_free_never_exceeds_the_cap(gaps: list[float], cap: int) -> None:
    """Each request goes at its arrival, or after the wait the rule names: no window
    ever holds more than `cap`, and nobody waits while there was room."""
    window, now, sent = 2.0, 0.0, []
    for gap in gaps:
        now += gap
        wait = seconds_until_free(sent, now, cap, window)
        if wait > 0:
            assert sum(1 for t in sent if t + window > now) >= cap
            now += wait
            assert seconds_until_free(sent, now, cap, window) == 0.0
        sent.append(now)
    for i in range(len(sent) - cap):
        assert sent[i] + window <= sent[i + cap]


async def test_three_processes_share_one_budget() -> None:
    budget = MemoryBudget()
    replicas = [SharedLimiter(budget, LIMIT, WINDOW, fallback_limit=2) for _ in range(3)]
    granted: list[float] = []

    async def send(limiter: SharedLimiter) -> None:
        await limiter.acquire(Lane.INTERACTIVE)
        granted.append(time.monotonic())

    await asyncio.gather(*(send(replicas[i % 3]) for i in range(3 * LIMIT)))
    assert len(granted) == 3 * LIMIT
    # Each replica alone would have sent LIMIT at once; together they wait their turn.
    assert most_in_any_window(granted, SPAN - JITTER) <= LIMIT
    assert max(granted) - min(granted) >= 2 * SPAN - JITTER


async def test_background_of_all_processes_keeps_the_reserve_for_people() -> None:
    budget = MemoryBudget()
    replicas = [SharedLimiter(budget, LIMIT, WINDOW, fallback_limit=2) for _ in range(3)]
    reserve = replicas[0].reserve
    assert reserve == 0  # a tenth of 6: use a limit with a reserve below
    replicas = [SharedLimiter(budget, 10, WINDOW, fallback_limit=3) for _ in range(3)]
    assert replicas[0].reserve == 1
    with background():
        jobs = [asyncio.create_task(r.acquire()) for r in replicas for _ in range(6)]
        await asyncio.sleep(0.3)
    assert sum(job.done() for job in jobs) == 9  # 10 - 1 across all three, not 9 each
    started = time.monotonic()
    await replicas[2].acquire(Lane.INTERACTIVE)  # a person on any replica still gets through
    assert time.monotonic() - started < 0.2
    assert [lane for _, lane in budget.sent].count("interactive") == 1
    for job in jobs:
        job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)


async def test_a_person_goes_before_queued_background_work_of_the_same_process() -> None:
    budget = MemoryBudget()
    limiter = SharedLimiter(budget, 10, WINDOW, fallback_limit=3)
    order: list[str] = []

    async def send(name: str, lane: Lane) -> None:
        await limiter.acquire(lane)
        order.append(name)

    jobs = [asyncio.create_task(send(f"bg{i}", Lane.BACKGROUND)) for i in range(12)]
    await asyncio.sleep(0.1)
    assert len(order) == 9  # background's share of the window
    jobs.append(asyncio.create_task(send("person", Lane.INTERACTIVE)))
    await asyncio.sleep(0.1)
    assert order[-1] == "person"  # at once, while three background sends still wait
    for job in jobs:
        job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)


async def test_unreachable_budget_falls_back_to_the_local_share_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    budget = MemoryBudget()
    budget.down = True
    limiter = SharedLimiter(budget, 9, WINDOW, fallback_limit=3, retry_seconds=0.5)
    caplog.set_level(logging.INFO, logger="mava_bridge.mava.ratelimit")
    granted: list[float] = []

    async def send() -> None:
        await limiter.acquire(Lane.INTERACTIVE)
        granted.append(time.monotonic())

    await asyncio.gather(*(send() for _ in range(6)))
    assert not limiter.shared
    assert most_in_any_window(granted, SPAN - JITTER) <= 3  # the local share, not 9
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "shared Mava budget unreachable: ConnectionRefusedError: connect call failed"
        " ('127.0.0.1', 1); using a local share of 3 per 1.5 s"
    ]
    assert budget.calls >= 2  # tried again every retry_seconds, still one warning
    budget.down = False
    await asyncio.sleep(0.5)
    await limiter.acquire(Lane.INTERACTIVE)
    assert limiter.shared
    # The sends made on the local share and still inside the window were counted in the
    # shared one first (three, at most a window old), then this one.
    now = time.monotonic()
    assert len(budget.sent) == 4
    assert all(now - at < SPAN for at, _ in budget.sent)
    assert any(
        r.levelno == logging.INFO and "reachable again" in r.getMessage() for r in caplog.records
    )


async def test_a_budget_that_does_not_answer_costs_at_most_the_timeout() -> None:
    budget = MemoryBudget()
    budget.hang = True
    limiter = SharedLimiter(budget, 9, WINDOW, fallback_limit=3, timeout=0.2)
    waited = await limiter.acquire(Lane.INTERACTIVE)
    assert 0.15 < waited < 0.5
    assert not limiter.shared
    assert await limiter.acquire(Lane.INTERACTIVE) < 0.05  # the local share, no new wait


async def test_a_pause_after_429_holds_this_process() -> None:
    limiter = SharedLimiter(MemoryBudget(), 9, WINDOW, fallback_limit=3)
    limiter.pause_for(0.3)
    assert await limiter.acquire() >= 0.25


async def test_a_cancelled_request_gives_its_turn_away() -> None:
    budget = MemoryBudget()
    limiter = SharedLimiter(budget, 2, WINDOW, fallback_limit=1)
    await limiter.acquire()
    await limiter.acquire()
    waiting = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.05)
    assert limiter.waiting == 1
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await asyncio.sleep(0.05)
    assert limiter.waiting == 0
    assert len(budget.sent) == 2


def test_failure_descriptions_name_the_error_not_the_statement() -> None:
    assert describe_failure(TimeoutError(), 1.0) == "no answer within 1 s"
    described = describe_failure(RuntimeError("boom\n[SQL: INSERT ... key_hash]"), 1.0)
    assert described == "RuntimeError: boom"
    assert describe_failure(OSError(), 1.0) == "OSError"


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        SharedLimiter(MemoryBudget(), 9, WINDOW, fallback_limit=10)
    with pytest.raises(ValueError):
        SharedLimiter(MemoryBudget(), 9, WINDOW, fallback_limit=3, reserve=9)


def test_the_fallback_share_defaults_to_a_third_and_never_exceeds_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("MAVA_RATE_LIMIT", "MAVA_RATE_FALLBACK_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    assert Settings(_env_file=None).mava_rate_fallback == 30
    assert Settings(_env_file=None, mava_rate_limit=2).mava_rate_fallback == 1
    assert Settings(_env_file=None, mava_rate_fallback_limit=45).mava_rate_fallback == 45
    assert Settings(_env_file=None, mava_rate_fallback_limit=200).mava_rate_fallback == 90


async def test_closing_the_client_closes_the_budget() -> None:
    budget = MemoryBudget()
    client = MavaClient(
        "http://127.0.0.1:9", "key", limiter=SharedLimiter(budget, 9, WINDOW, fallback_limit=3)
    )
    await client.aclose()
    assert budget.closed
