"""A job still running when its next turn comes (or starting late) is said once per
slow run, at INFO. APScheduler warns on every tick instead ("maximum number of running
instances reached", "Run time of job ... was missed"): those loggers are quieted
(observability.logs.QUIET_LOGGERS) and their events are told here."""

from __future__ import annotations

import logging
from typing import Final

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger("mava_bridge.delivery.scheduler")

_ENDED: Final = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
_LATE: Final = EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED


class LateJobs:
    def __init__(self) -> None:
        self._told: set[str] = set()  # jobs whose slow run was said already

    def listen(self, scheduler: BaseScheduler) -> None:
        scheduler.add_listener(lambda event: self.seen(scheduler, event), _ENDED | _LATE)

    def seen(self, scheduler: BaseScheduler, event: JobEvent) -> None:
        """Say a skipped or missed turn once, until a run of that job ends."""
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
