"""The pace of the jobs that read Mava over and over (thread sync, the desk over the
open board): after each run, the wait before the next comes from what it read
(`domain.send_window.read_interval`): as often as the job's share of the Mava budget
allows, at least every FLOOR seconds, at most every THREAD_SYNC_SECONDS /
DESK_REFRESH_SECONDS unless the share needs longer. So without webhooks a customer's
message still shows within seconds while the budget allows, and many followed tickets
slow the sync rather than spend what people's commands need. While webhooks flow the
nudges bring the changes: the jobs keep their longest interval and most ticks rest."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from mava_bridge.domain.send_window import FLOOR, read_interval

log = logging.getLogger(__name__)

FLOWING_FOR: Final = 600.0  # seconds after a webhook during which polling slows down
SLOWER: Final = 4  # while webhooks flow, an interval job runs every SLOWER-th tick


class WebhookFlow:
    """Whether Mava's webhooks flow (one heard within FLOWING_FOR): told by the nudges,
    asked by the scheduler."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heard: float | None = None  # monotonic, the last new webhook read
        self._ticks: dict[str, int] = {}

    def heard(self) -> None:
        self._heard = self._clock()

    def flowing(self) -> bool:
        return self._heard is not None and self._clock() - self._heard < FLOWING_FOR

    def rests(self, job_id: str) -> bool:
        """Whether this interval tick of `job_id` is skipped: while webhooks flow, only
        every SLOWER-th tick runs (the nudges keep Slack up to date)."""
        if not self.flowing():
            self._ticks.clear()
            return False
        tick = self._ticks.get(job_id, 0) + 1
        self._ticks[job_id] = tick
        return tick % SLOWER != 0


@dataclass
class _Paced:
    name: str  # as the log line says it
    setting: str  # the longest interval's setting
    share: int
    ceiling: float
    wait: float
    pages: int = 0


class Pacing:
    def __init__(self, limit: int, window: float, flow: WebhookFlow) -> None:
        self.limit = limit
        self.window = window
        self.flow = flow  # while webhooks flow: the safety-net pace
        self._jobs: dict[str, _Paced] = {}

    def add(self, job_id: str, name: str, setting: str, share: int, ceiling: float) -> None:
        """Pace `job_id`; it starts at its longest interval until its first run says more."""
        self._jobs[job_id] = _Paced(name, setting, share, ceiling, ceiling)

    def wait(self, job_id: str) -> float:
        return self._jobs[job_id].wait

    def after(self, job_id: str, pages: int | None = None) -> float | None:
        """The new wait before `job_id` runs again, after a run that read `pages` Mava
        requests (None: a tick that rested, the last run's pages); None if unchanged or
        the job is not paced."""
        job = self._jobs.get(job_id)
        if job is None:
            return None
        if pages is not None:
            job.pages = pages
        floor = job.ceiling if self.flow.flowing() else FLOOR
        wait = read_interval(job.pages, self.limit, self.window, job.share, floor, job.ceiling)
        if wait == job.wait:
            return None
        if wait > job.ceiling >= job.wait:
            log.info(
                "%s interval stretched past %s to keep within its share of the Mava budget",
                job.name,
                job.setting,
                extra={"pages": job.pages, "seconds": round(wait, 1), "share": f"1/{job.share}"},
            )
        elif job.wait > job.ceiling >= wait:
            log.info("%s interval back within %s", job.name, job.setting, extra={"seconds": wait})
        job.wait = wait
        return wait

    def plan(self, scheduler: BaseScheduler | None, job_id: str, pages: int | None = None) -> None:
        """After a run of `job_id` that read `pages`: its next run, the new wait from now
        (when the wait changed)."""
        wait = self.after(job_id, pages)
        if wait is not None:
            self._reschedule(scheduler, job_id, wait)

    @contextlib.contextmanager
    def running(self, scheduler: BaseScheduler | None, job_id: str) -> Iterator[None]:
        """Around one tick of `job_id`: a paced job's next tick is held while it runs (a
        run longer than its wait, posting to Slack at 1 a second per channel, is not
        overlapped: APScheduler would skip that tick with a warning each time), then
        comes its wait after this one began (the budget's pace), or at once if later."""
        if job_id not in self._jobs or scheduler is None or scheduler.get_job(job_id) is None:
            yield
            return
        began = datetime.now(UTC)
        scheduler.pause_job(job_id)
        try:
            yield
        finally:
            self.after(job_id)
            self._reschedule(scheduler, job_id, self._jobs[job_id].wait, began)

    @staticmethod
    def _reschedule(
        scheduler: BaseScheduler | None, job_id: str, wait: float, began: datetime | None = None
    ) -> None:
        if scheduler is None or not scheduler.running or scheduler.get_job(job_id) is None:
            return
        now = datetime.now(UTC)
        at = max(now, (began or now) + timedelta(seconds=wait))
        scheduler.modify_job(job_id, trigger=IntervalTrigger(seconds=wait), next_run_time=at)
