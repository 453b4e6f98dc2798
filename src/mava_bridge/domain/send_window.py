"""The sliding-window rule behind every Mava budget, in-process or shared by replicas."""

from __future__ import annotations

from collections.abc import Sequence


def seconds_until_free(sent: Sequence[float], now: float, cap: int, window: float) -> float:
    """0.0 when one more send may go at `now` (fewer than `cap` of the `sent` times,
    ascending, lie inside the window ending at `now`); else the seconds until the send
    that makes room leaves it: the one at index len - cap of those inside."""
    if cap < 1:
        raise ValueError("cap must be >= 1")
    inside = [t for t in sent if t + window > now]
    if len(inside) < cap:
        return 0.0
    return inside[len(inside) - cap] + window - now


def paced_wait(pages: int, base: float, limit: int, window: float, share: int) -> float:
    """Seconds before a recurring read runs again: `base`, or longer after a read of
    `pages` requests, so that read spends at most 1/`share` of `limit` per `window`
    (a share of a tiny budget rounds up to one request)."""
    return max(base, pages * window / max(1, limit // share))
