"""The Mava rate limiter: never more than `limit` sends in any window; users go first,
and background work never takes the slots kept for them."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mava_bridge.mava.ratelimit import (
    ARRIVAL_MARGIN,
    Lane,
    RateLimiter,
    WindowScheduler,
    background,
    current_lane,
    limiter_for,
)

# (gap since the previous arrival, lane); many zero gaps make bursts that fill windows.
arrivals = st.lists(
    st.tuples(
        st.just(0.0) | st.floats(min_value=0, max_value=5, allow_nan=False),
        st.sampled_from(list(Lane)),
    ),
    min_size=1,
    max_size=300,
)


@st.composite
def budgets(draw: st.DrawFn, max_limit: int = 30) -> tuple[int, int | None]:
    """(limit, reserve): the default reserve (None) or any valid one."""
    limit = draw(st.integers(min_value=1, max_value=max_limit))
    reserve = draw(st.none() | st.integers(min_value=0, max_value=limit - 1))
    return limit, reserve


Grants = list[tuple[float, int]]
Requests = dict[int, tuple[float, Lane]]


def simulate(
    limit: int, window: float, events: list[tuple[float, Lane]], reserve: int | None = None
) -> tuple[Grants, Requests, WindowScheduler]:
    """Drive the scheduler with a fake clock; return (grant time, ticket), the requests
    (arrival time, lane) by ticket, and the scheduler."""
    core = WindowScheduler(limit, window, reserve)
    now = 0.0
    requests: Requests = {}
    grants: Grants = []
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
        assert next_poll is None or next_poll > now  # never spins on the same instant
        grants.extend((now, ticket) for ticket in granted)
    return grants, requests, core


def in_window_before(grants: Grants, at: float, window: float) -> list[tuple[float, int]]:
    """Grants still inside the window just before `at` (they leave at t + window)."""
    return [(t, ticket) for t, ticket in grants if t < at and t + window >= at]


@settings(max_examples=300, deadline=None)
@given(
    budget=budgets(),
    window=st.floats(min_value=0.5, max_value=30),
    events=arrivals,
)
def test_no_window_ever_holds_more_than_the_limit_nor_background_more_than_its_share(
    budget: tuple[int, int | None], window: float, events: list[tuple[float, Lane]]
) -> None:
    limit, reserve = budget
    grants, requests, core = simulate(limit, window, events, reserve)
    assert sorted(t for _, t in grants) == sorted(requests)  # everyone is served: no starving
    times = [at for at, _ in grants]
    for first, later in zip(times, times[limit:], strict=False):
        assert first + window <= later
    share = limit - core.reserve
    background_times = [at for at, t in grants if requests[t][1] is Lane.BACKGROUND]
    for first, later in zip(background_times, background_times[share:], strict=False):
        assert first + window <= later
    # Stronger: a background send only goes while the window holds fewer than its share,
    # counting every lane, so the reserve is always there for the next person.
    for position, (at, ticket) in enumerate(grants):
        if requests[ticket][1] is Lane.BACKGROUND:
            holding = sum(1 for t, _ in grants[:position] if t + window > at)
            assert holding < share


@settings(max_examples=300, deadline=None)
@given(
    budget=budgets(),
    window=st.floats(min_value=0.5, max_value=30),
    events=arrivals,
)
def test_nothing_waits_while_its_lane_has_room(
    budget: tuple[int, int | None], window: float, events: list[tuple[float, Lane]]
) -> None:
    """Whoever waited was granted the moment its lane had room: the next-poll time is
    right, even when the head is a background request held back by the reserve."""
    limit, reserve = budget
    grants, requests, core = simulate(limit, window, events, reserve)
    for at, ticket in grants:
        arrived, lane = requests[ticket]
        if at > arrived:
            assert len(in_window_before(grants, at, window)) >= core.cap(lane)


@settings(max_examples=300, deadline=None)
@given(
    budget=budgets(),
    window=st.floats(min_value=0.5, max_value=30),
    events=arrivals,
)
def test_a_person_never_waits_for_background_work(
    budget: tuple[int, int | None], window: float, events: list[tuple[float, Lane]]
) -> None:
    """An interactive request with no other person ahead of it, arriving while fewer than
    `reserve` interactive sends are in the window, goes at once, however much background
    work is queued or was sent."""
    limit, reserve = budget
    grants, requests, core = simulate(limit, window, events, reserve)
    granted_at = {ticket: at for at, ticket in grants}
    for ticket, (arrived, lane) in requests.items():
        if lane is not Lane.INTERACTIVE:
            continue
        earlier = [t for t, (_, other) in requests.items() if other is lane and t < ticket]
        if any(granted_at[t] > arrived for t in earlier):
            continue  # another person was still waiting: first come first served
        people = sum(
            1
            for t in earlier
            if granted_at[t] + window > arrived  # still in the window at `arrived`
        )
        if people < core.reserve:
            assert granted_at[ticket] == arrived


@settings(max_examples=200, deadline=None)
@given(budget=budgets(max_limit=12), events=arrivals)
def test_a_waiting_user_request_overtakes_queued_background_work(
    budget: tuple[int, int | None], events: list[tuple[float, Lane]]
) -> None:
    limit, reserve = budget
    grants, requests, _ = simulate(limit, 10.0, events, reserve)
    granted_at = {ticket: at for at, ticket in grants}
    order = {ticket: position for position, (_, ticket) in enumerate(grants)}
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
                assert order[other] < order[ticket]


def test_the_documented_budget_holds_for_a_burst_of_300() -> None:
    grants, _, _ = simulate(90, 30.0, [(0.0, Lane.INTERACTIVE)] * 300)
    times = [at for at, _ in grants]
    assert len(times) == 300
    assert all(b - a >= 30.0 for a, b in zip(times, times[90:], strict=False))
    assert times[-1] == 90.0  # 300 sends need exactly three more windows after the first 90


def test_background_work_alone_gets_all_but_the_reserve() -> None:
    grants, _, core = simulate(90, 30.0, [(0.0, Lane.BACKGROUND)] * 300)
    assert core.reserve == 9
    times = [at for at, _ in grants]
    assert [times.count(t) for t in (0.0, 30.0, 60.0, 90.0)] == [81, 81, 81, 57]


def test_the_default_reserve_is_a_tenth() -> None:
    assert [WindowScheduler(n, 1.0).reserve for n in (1, 9, 10, 90, 100)] == [0, 0, 1, 9, 10]
    with pytest.raises(ValueError):
        WindowScheduler(10, 1.0, reserve=10)
    with pytest.raises(ValueError):
        WindowScheduler(10, 1.0, reserve=-1)


def test_a_person_goes_at_once_while_background_work_has_filled_its_share() -> None:
    core = WindowScheduler(10, 30.0)  # reserve 1: background may hold 9
    jobs = [core.enqueue(Lane.BACKGROUND) for _ in range(20)]
    assert core.poll(0.0) == (jobs[:9], 30.0)
    user = core.enqueue(Lane.INTERACTIVE)
    assert core.poll(5.0) == ([user], 30.0)
    # The window is now full: the next person waits for the oldest send to leave.
    other = core.enqueue(Lane.INTERACTIVE)
    assert core.poll(6.0) == ([], 30.0)
    # At 30 the sends of 0 leave: the person first, then background up to its share
    # (9 with the user's send at 5.0), which then waits for that send to leave.
    assert core.poll(30.0) == ([other, *jobs[9:16]], 35.0)
    assert core.poll(35.0) == ([jobs[16]], 60.0)


def test_a_blocked_background_head_is_polled_when_enough_sends_leave() -> None:
    core = WindowScheduler(10, 10.0, reserve=3)  # background may hold 7
    for at in range(7):  # interactive sends at 0..6
        core.enqueue(Lane.INTERACTIVE)
        core.poll(float(at))
    job = core.enqueue(Lane.BACKGROUND)
    # 7 in the window: the background job needs one to leave (the send at 0, at 10.0).
    assert core.poll(7.0) == ([], 10.0)
    assert core.poll(10.0) == ([job], None)


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
    assert limiter.reserve == 0
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


async def test_async_limiter_keeps_the_reserve_on_a_real_loop() -> None:
    limiter = RateLimiter(limit=10, window=0.5)  # reserve 1
    jobs = [asyncio.create_task(limiter.acquire(Lane.BACKGROUND)) for _ in range(12)]
    await asyncio.sleep(0.05)
    assert sum(job.done() for job in jobs) == 9
    waited = await limiter.acquire(Lane.INTERACTIVE)
    assert waited < 0.05
    await asyncio.gather(*jobs)


async def test_a_cancelled_wait_gives_its_turn_away_and_is_forgotten() -> None:
    limiter = RateLimiter(limit=1, window=0.2)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0.01)
    assert limiter.waiting == 1
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.waiting == 0
    await limiter.acquire()  # the next one takes the freed slot
    assert limiter.waiting == 0


def test_the_process_limiter_allows_for_arrival_jitter() -> None:
    limiter = limiter_for(90, 30.0)
    assert limiter.window == 30.0 + ARRIVAL_MARGIN
    assert limiter.reserve == 9
