"""The sliding-window rule behind every Mava budget, in-process or shared by replicas,
and the pace of the recurring reads that draw from it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

# Of the key's budget, what each recurring read may spend: thread sync a third, the
# open board (the desk) a sixth; alerts, digests and people need the rest.
THREAD_SHARE: Final = 3
DESK_SHARE: Final = 6
# The shortest interval between two runs of a recurring read, however cheap.
FLOOR: Final = 2.0


def seconds_until_free(sent: Sequence[float], now: float, cap: int, window: float) -> float:
    """0.0 when one more send may go at `now` (fewer than `cap` of the ascending `sent`
    times lie inside the window ending then); else the seconds until one leaves it."""
    if cap < 1:
        raise ValueError("cap must be >= 1")
    inside = [t for t in sent if t + window > now]
    if len(inside) < cap:
        return 0.0
    return inside[len(inside) - cap] + window - now


def read_interval(
    pages: int, limit: int, window: float, share: int, floor: float, ceiling: float
) -> float:
    """Seconds before a recurring read runs again, after a read of `pages` requests: as
    soon as 1/`share` of `limit` per `window` allows, between `floor` and `ceiling`; a
    read costing more than its share waits as long as the share needs, and a `ceiling`
    below the `floor` is obeyed."""
    needed = max(0, pages) * window / max(1, limit // share)
    if needed > ceiling:
        return needed
    return max(min(floor, ceiling), needed)
