"""How the scheduler's jobs run: on the leader only (`Leading`), tracked in flight so
shutdown can finish or cancel them (`JobTasks`), and a late turn said once
(`LateJobs`).

`should_run` is the hook a leader election plugs into (store.leader). On becoming the
leader, the claims the previous one left are taken over first, so its alerts and
digests go out now rather than after STALE_CLAIM (store.ledger).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Final

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.schedulers.base import BaseScheduler

from mava_bridge.domain.shutdown import finish_or_cancel

log = logging.getLogger("mava_bridge.delivery.scheduler")  # its lines, as they always were

ShouldRun = Callable[[], Awaitable[bool]]
# Takes over the claims of other processes: (alert claims, digest runs) taken.
TakeOver = Callable[[], Awaitable[tuple[int, int]]]

_ENDED: Final = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
_LATE: Final = EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED


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


class JobTasks:
    """The jobs in flight, finished or cancelled at shutdown within the drain bound
    (domain.shutdown)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cancelling = False

    @contextlib.contextmanager
    def tracked(self) -> Iterator[None]:
        """A job cancelled by `finish` ends quietly: APScheduler would log the
        cancellation as a failure with its traceback."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        except asyncio.CancelledError:
            if not self._cancelling or task is None:
                raise
            task.uncancel()
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def finish(self, grace: float) -> int:
        """Wait up to `grace` seconds; cancel the late ones (returns how many)."""
        self._cancelling = True
        return await finish_or_cancel(list(self._tasks), grace)


class LateJobs:
    """A job still running at its next turn (or starting late) is said once per slow
    run, at INFO. APScheduler warns on every tick instead: its loggers are quieted
    (observability.logs.QUIET_LOGGERS) and their events told here."""

    def __init__(self) -> None:
        self._told: set[str] = set()  # jobs whose slow run was said already

    def listen(self, scheduler: BaseScheduler) -> None:
        scheduler.add_listener(lambda event: self.seen(scheduler, event), _ENDED | _LATE)

    def seen(self, scheduler: BaseScheduler, event: JobEvent) -> None:
        if event.code & _ENDED:
            self._told.discard(event.job_id)
            return
        if event.job_id in self._told:
            return
        self._told.add(event.job_id)
        job = scheduler.get_job(event.job_id)
        name = job.name if job is not None else event.job_id
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.info("%s still running: its next turns wait for it to end", name)
        else:
            log.info("%s started late: a turn was missed", name)
