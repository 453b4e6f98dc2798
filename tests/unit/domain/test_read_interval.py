"""The pace of a recurring Mava read (thread sync, the desk's board): as fast as its
share of the budget allows after what it read last, between a floor and a ceiling."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mava_bridge.domain.send_window import DESK_SHARE, FLOOR, THREAD_SHARE, read_interval

pages = st.integers(min_value=0, max_value=10_000)
limits = st.integers(min_value=1, max_value=100_000)
windows = st.floats(min_value=0.5, max_value=3600.0)
shares = st.integers(min_value=1, max_value=12)
floors = st.floats(min_value=0.1, max_value=30.0)
ceilings = st.floats(min_value=1.0, max_value=7200.0)


@given(pages, limits, windows, shares, floors, ceilings)
def test_never_below_the_floor(
    p: int, limit: int, window: float, share: int, floor: float, ceiling: float
) -> None:
    # A ceiling set below the floor is the setting's word: then the ceiling is the bound.
    assert read_interval(p, limit, window, share, floor, ceiling) >= min(floor, ceiling)


@given(pages, limits, windows, shares, floors, ceilings)
def test_never_above_the_ceiling_unless_the_share_needs_it(
    p: int, limit: int, window: float, share: int, floor: float, ceiling: float
) -> None:
    wait = read_interval(p, limit, window, share, floor, ceiling)
    needed = p * window / max(1, limit // share)
    if needed <= ceiling:
        assert wait <= ceiling
    else:
        assert wait == needed  # longer, but only as long as the share needs


@given(pages, limits, windows, shares, floors, ceilings)
def test_never_more_than_the_share_of_the_budget(
    p: int, limit: int, window: float, share: int, floor: float, ceiling: float
) -> None:
    wait = read_interval(p, limit, window, share, floor, ceiling)
    # Reading `p` requests every `wait` seconds: requests per window, at most the share
    # (a share of a budget smaller than `share` is one request).
    assert p * window / wait <= max(1, limit // share) * (1 + 1e-9)


@given(pages, pages, limits, windows, shares, floors, ceilings)
def test_more_pages_never_make_it_sooner(
    a: int, b: int, limit: int, window: float, share: int, floor: float, ceiling: float
) -> None:
    low, high = sorted((a, b))
    assert read_interval(low, limit, window, share, floor, ceiling) <= read_interval(
        high, limit, window, share, floor, ceiling
    )


def test_what_the_defaults_give() -> None:
    """Mava's 90 per 30 s: thread sync may spend 30 per 30 s (one request a second), the
    desk 15 (one every 2 s)."""
    sync = [read_interval(p, 90, 30.0, THREAD_SHARE, FLOOR, 15.0) for p in (0, 1, 5, 9, 40)]
    assert sync == [2.0, 2.0, 5.0, 9.0, 40.0]  # 40 pages: 40 s, past THREAD_SYNC_SECONDS
    desk = [read_interval(p, 90, 30.0, DESK_SHARE, FLOOR, 60.0) for p in (1, 4, 51)]
    assert desk == [2.0, 8.0, 102.0]
    assert read_interval(1, 90, 30.0, THREAD_SHARE, FLOOR, 1.0) == 1.0  # a 1 s setting
    assert read_interval(1, 2, 30.0, THREAD_SHARE, FLOOR, 15.0) == 30.0  # a tiny budget
    # With the floor at the ceiling, the ceiling is the pace (the rule webhooks use).
    assert read_interval(3, 90, 30.0, THREAD_SHARE, 15.0, 15.0) == 15.0
