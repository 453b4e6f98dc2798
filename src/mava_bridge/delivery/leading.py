"""Whether this process runs the leader's jobs now, and what becoming the leader does.

Every scheduled job asks `Leading()` first. `should_run` is the hook a leader election
plugs into (mava_bridge.store.leader); on becoming the leader (at start-up, or when
another replica died) the claims the previous leader left are taken over first, so its
alerts and digests go out now rather than after STALE_CLAIM (mava_bridge.store.ledger).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("mava_bridge.delivery.scheduler")  # its lines, as they always were

ShouldRun = Callable[[], Awaitable[bool]]
# Takes over the claims of other processes: (alert claims, digest runs) taken.
TakeOver = Callable[[], Awaitable[tuple[int, int]]]


async def always_run() -> bool:
    """The default `should_run`: a single process is always the leader."""
    return True


class Leading:
    def __init__(
        self,
        should_run: ShouldRun,
        take_over: TakeOver | None,
        then: Callable[[], Awaitable[None]],
    ) -> None:
        self._should_run = should_run
        self._take_over = take_over
        self._then = then  # after claims were taken over (the scheduler's digest catch-up)
        self._took_over = False
        self._lock = asyncio.Lock()

    async def __call__(self) -> bool:
        """`should_run`; on becoming the leader, first take over what was left claimed."""
        if not await self._should_run():
            self._took_over = False
            return False
        if not self._took_over:
            async with self._lock:  # jobs starting together wait for it
                if not self._took_over:
                    await self._take_over_claims()
                    self._took_over = True
        return True

    async def _take_over_claims(self) -> None:
        if self._take_over is None:
            return
        try:
            alerts, runs = await self._take_over()
        except Exception:
            log.exception("could not take over earlier claims; they wait for STALE_CLAIM")
            return
        if alerts or runs:
            log.warning(
                "took over claims a previous process left",
                extra={"alert_claims": alerts, "digest_runs": runs},
            )
            await self._then()
