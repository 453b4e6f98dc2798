"""The Mava rate limiter: never more than `limit` sends in any window; users go first."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.mava.ratelimit import Lane, RateLimiter, WindowScheduler, background, current_lane

arrivals = st.lists(
    st.tuples(st.floats(min_value=0, max_value=5, allow_nan=False), st.sampled_from(list(Lane))),
    min_size=1,
    max_size=300,
)


def simulate(
    limit: int, window: float, events: list[tuple[float, Lane]]
) -> tuple[list[tuple[float, int]], dict[int, tuple[float, Lane]]]:
    """Drive the scheduler with a fake clock; return (grant time, ticket) and the requests."""
    core = WindowScheduler(limit, window)
    now = 0.0
    requests: dict[int, tuple[float, Lane]] = {}
    grants: list[tuple[float, int]] = []
    next_poll: float | None = None
    pending = [(now := now + gap, lane) for gap, lane in events]
    while pending or next_poll is not None:
        if pending and (next_poll is None or pending[0][0] <= next_poll):
            now, lane = pending.pop(0)
            requests[core.enqueue(lane)] = (now, lane)
        else:
            assert next_poll is not None
            now = next_poll
        granted, next_poll = core.poll(now)
        grants.extend((now, ticket) for ticket in granted)
    return grants, requests


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=12),
    window=st.floats(min_value=0.5, max_value=30),
    events=arrivals,
)
def test_no_window_ever_holds_more_than_the_limit(
    limit: int, window: float, events: list[tuple[float, Lane]]
) -> None:
    grants, requests = simulate(limit, window, events)
    assert sorted(t for _, t in grants) == sorted(requests)  # everyone is served
    times = [at for at, _ in grants]
    for first, later in zip(times, times[limit:], strict=False):
        assert first + window <= later


@settings(max_examples=200, deadline=None)
@given(limit=st.integers(min_value=1, max_value=5), events=arrivals)
def test_a_waiting_user_request_overtakes_queued_background_work(
    limit: int, events: list[tuple[float, Lane]]
) -> None:
    grants, requests = simulate(limit, 10.0, events)
    granted_at = {ticket: at for at, ticket in grants}
    for ticket, (at, lane) in requests.items():
        if lane is not Lane.BACKGROUND:
            continue
        # No user request that was already waiting when this background one went out
        # may be served after it.
        for other, (other_at, other_lane) in requests.items():
            if other_lane is Lane.INTERACTIVE and other_at <= granted_at[ticket]:
                assert granted_at[other] <= granted_at[ticket] or other_at == granted_at[ticket]
        # Within a lane, first come first served.
        for other, (other_at, other_lane) in requests.items():
            if other_lane is lane and other_at < at:
                assert granted_at[other] <= granted_at[ticket]


def test_the_documented_budget_holds_for_a_burst_of_300() -> None:
    grants, _ = simulate(90, 30.0, [(0.0, Lane.BACKGROUND)] * 300)
    times = [at for at, _ in grants]
    assert len(times) == 300
    assert all(b - a >= 30.0 for a, b in zip(times, times[90:], strict=False))
    assert times[-1] == 90.0  # 300 sends need exactly three more windows after the first 90


def test_pause_holds_every_lane_until_it_ends() -> None:
    core = WindowScheduler(5, 1.0)
    core.pause_until(3.0)
    ticket = core.enqueue(Lane.INTERACTIVE)
    assert core.poll(1.0) == ([], 3.0)
    assert core.poll(3.0) == ([ticket], None)


def test_cancelled_requests_give_their_turn_away() -> None:
    core = WindowScheduler(1, 1.0)
    first = core.enqueue(Lane.BACKGROUND)
    assert core.poll(0.0) == ([first], None)
    gone = core.enqueue(Lane.INTERACTIVE)
    kept = core.enqueue(Lane.BACKGROUND)
    core.cancel(gone)
    assert core.poll(1.0) == ([kept], None)


async def test_async_limiter_serves_users_first_on_a_real_loop() -> None:
    limiter = RateLimiter(limit=2, window=0.2)
    order: list[str] = []

    async def call(name: str, lane: Lane) -> None:
        await limiter.acquire(lane)
        order.append(name)

    jobs = [asyncio.create_task(call(f"bg{i}", Lane.BACKGROUND)) for i in range(5)]
    await asyncio.sleep(0.05)  # two background calls went out, three wait
    jobs.append(asyncio.create_task(call("user", Lane.INTERACTIVE)))
    await asyncio.gather(*jobs)
    assert order[:2] == ["bg0", "bg1"]
    assert order[2] == "user"
    assert order[3:] == ["bg2", "bg3", "bg4"]


async def test_lane_follows_the_background_context() -> None:
    assert current_lane.get() is Lane.INTERACTIVE
    with background():
        assert current_lane.get() is Lane.BACKGROUND
    assert current_lane.get() is Lane.INTERACTIVE
