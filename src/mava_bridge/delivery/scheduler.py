"""APScheduler jobs in the bot's event loop: the alert poll, one job per digest or
report, the thread sync and the desk's `jobs` (paced by what they read:
delivery.pacing) and the hourly housekeeping.

Digest jobs are rebuilt from the database at start-up, on a subscription change here
and at every poll (a change made on another replica). Every job runs on the leader only
(delivery.leading) with its Mava calls in the limiter's background lane, so people in
Slack go first. `coalesce` and `max_instances=1`: a late or slow job runs once, not in
a pile-up. A digest missed while the bot was down is caught up at start-up within
`DIGEST_GRACE` (its run key makes that a no-op when it was posted); one that failed for
a retryable reason is tried again after `DIGEST_RETRY_DELAY` while within the grace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from mava_bridge.delivery.alerts import AlertPoller, PollReport
from mava_bridge.delivery.desk_jobs import LeaderJob
from mava_bridge.delivery.digests import DeliveryResult, DigestService
from mava_bridge.delivery.housekeeping import DIGEST_RUN_RETENTION, Housekeeping, HousekeepingReport
from mava_bridge.delivery.leading import (
    JobTasks,
    LateJobs,
    Leading,
    ShouldRun,
    TakeOver,
    always_run,
)
from mava_bridge.delivery.pacing import Pacing, WebhookFlow
from mava_bridge.delivery.reports import ReportResult, Reports
from mava_bridge.delivery.threads import SyncReport, ThreadSync
from mava_bridge.domain.cron import cron_trigger, last_fire_time
from mava_bridge.domain.filters import fingerprint
from mava_bridge.domain.send_window import THREAD_SHARE
from mava_bridge.mava.ratelimit import background
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import (
    SCHEDULED,
    ActiveSubscription,
    Clock,
    SubscriptionService,
)
from mava_bridge.settings import Settings
from mava_bridge.store import deliveries
from mava_bridge.store.db import utcnow

log = logging.getLogger(__name__)

Job = Callable[..., Awaitable[Any]]
R = TypeVar("R")

DIGEST_GRACE: Final = timedelta(hours=1)
DIGEST_RETRY_DELAY: Final = timedelta(minutes=5)
POLL_JOB: Final = "alerts:poll"
THREAD_JOB: Final = "threads:sync"
HOUSEKEEPING_JOB: Final = "housekeeping"
HOUSEKEEPING_INTERVAL: Final = timedelta(hours=1)
assert DIGEST_RUN_RETENTION > DIGEST_GRACE  # a run is never deleted while it may be posted
_DIGEST_PREFIX: Final = "digest:"


def run_key(sub: ActiveSubscription, fire_time: datetime) -> str:
    """The unique key of one scheduled digest: subscription + fire time (UTC minute)."""
    return f"{sub.key}@{fire_time.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


class BotScheduler:
    def __init__(
        self,
        settings: Settings,
        subscriptions: SubscriptionService,
        digests: DigestService,
        poller: AlertPoller,
        should_run: ShouldRun = always_run,
        *,
        clock: Clock = utcnow,
        poll_interval: float | None = None,
        take_over: TakeOver | None = None,
        housekeeping: Housekeeping,
        metrics: Metrics,
        flow: WebhookFlow,
        threads: ThreadSync | None = None,
        jobs: Sequence[LeaderJob] = (),
        reports: Reports | None = None,
        after_acks: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._flow = flow
        # Each run starts once a burst of Slack requests is acked (slack.inflight).
        self._after_acks = after_acks  # an interval tick rests (is skipped) while webhooks flow
        self._settings = settings
        self._jobs = {job.id: job for job in jobs}
        self._threads = threads
        self.pacing = Pacing(settings.mava_rate_limit, settings.mava_rate_window_seconds, flow)
        self._housekeeping = housekeeping
        self._metrics = metrics
        self._leading = Leading(should_run, take_over, then=self._catch_up)
        self.subscriptions = subscriptions
        self._digests = digests
        self._reports = reports  # scheduled reports run as digests do, by run key
        self._poller = poller
        self._clock = clock
        self._interval = float(poll_interval or settings.poll_interval_seconds)
        self.scheduler: AsyncIOScheduler | None = None  # while started
        self._triggers: dict[str, CronTrigger | OrTrigger] = {}  # sub key -> trigger
        self._signatures: dict[str, tuple[str, ...]] = {}
        self._inflight = JobTasks()
        self._rebuild_lock = asyncio.Lock()

    async def start(self) -> None:
        if self.scheduler is not None:
            return
        await self._poller.release_stale_claims()
        parts = self._digests.parts
        await deliveries.RUNS.release_stale(parts.db, parts.clock())
        self.scheduler = AsyncIOScheduler(
            event_loop=asyncio.get_running_loop(),
            timezone=ZoneInfo("UTC"),
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": max(1, round(self._interval)),
            },
        )
        LateJobs().listen(self.scheduler)  # a slow run said once, not on every tick
        # Started before any job is added: a job added to a stopped scheduler is queued
        # with an INFO line ("Adding job tentatively") per job, on every start.
        self.scheduler.start()
        # The first poll, thread sync and desk runs right away; each tick may rest.
        self._every(POLL_JOB, "poll Mava for alerts", self._interval, self.run_poll)
        if self._threads is not None:
            seconds = self._settings.thread_sync_seconds
            self.pacing.add(THREAD_JOB, "thread sync", "THREAD_SYNC_SECONDS", THREAD_SHARE, seconds)
            self._every(THREAD_JOB, "sync followed tickets' threads", seconds, self.run_threads)
        self.scheduler.add_job(
            self.run_housekeeping,
            IntervalTrigger(seconds=HOUSEKEEPING_INTERVAL.total_seconds()),
            id=HOUSEKEEPING_JOB,
            name="delete rows nothing needs any more",
        )
        for job in self._jobs.values():
            if job.pages is not None:
                self.pacing.add(job.id, job.name, "DESK_REFRESH_SECONDS", job.share, job.seconds)
            self._every(job.id, job.name, job.seconds, self.run_job, job.id)
        await self.rebuild()
        await self._catch_up()
        log.info(
            "scheduler started",
            extra={"poll_interval": self._interval, "digests": self.next_digest_times()},
        )

    async def shutdown(self, grace: float = 10.0) -> bool:
        """Stop scheduling, let jobs in flight finish (up to `grace` seconds, so a post
        is recorded before we go: retry waits end at once, `domain.retry.Stopping`),
        cancel those still running (then False), then stop."""
        self._metrics.poll_stopped()  # this process polls no more: the lag reads NaN
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is None:
            return True
        scheduler.pause()
        cancelled = await self._inflight.finish(grace)  # serve says so when it happens
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        return not cancelled

    async def rebuild(self) -> None:
        """Make the digest jobs match the subscriptions (cheap when nothing changed)."""
        async with self._rebuild_lock:
            subs = {
                s.key: s
                for s in await self.subscriptions.active()
                if s.kind in SCHEDULED and s.schedule is not None
            }
            for key in list(self._triggers):
                if key not in subs:
                    self._triggers.pop(key)
                    self._signatures.pop(key, None)
                    self._remove_job(_DIGEST_PREFIX + key)
            for key, sub in subs.items():
                assert sub.schedule is not None
                schedule, filters = sub.schedule.cron, fingerprint(sub.filters)
                signature = (schedule, sub.timezone, sub.channel_id, filters)
                job_missing = (
                    self.scheduler is not None
                    and self.scheduler.get_job(_DIGEST_PREFIX + key) is None
                )
                if self._signatures.get(key) == signature and not job_missing:
                    continue
                try:
                    trigger = cron_trigger(sub.schedule.cron, sub.timezone)
                except (ValueError, KeyError) as exc:
                    log.error("digest schedule not usable", extra={"sub": key, "error": str(exc)})
                    continue
                self._triggers[key] = trigger
                self._signatures[key] = signature
                if self.scheduler is not None:
                    self.scheduler.add_job(
                        self.run_digest,
                        trigger,
                        args=[key],
                        id=_DIGEST_PREFIX + key,
                        name=f"{sub.kind} {key} to {sub.channel_id}",
                        replace_existing=True,
                        misfire_grace_time=int(DIGEST_GRACE.total_seconds()),
                    )

    def next_digest_times(self) -> dict[str, datetime]:
        """Subscription key -> next run (in the subscription's zone)."""
        now = self._clock()
        fires = {key: t.get_next_fire_time(None, now) for key, t in self._triggers.items()}
        return {key: fire for key, fire in fires.items() if fire is not None}

    def _every(self, job_id: str, name: str, seconds: float, run: Job, *args: Any) -> None:
        assert self.scheduler is not None
        self.scheduler.add_job(
            self._tick, IntervalTrigger(seconds=seconds), args=[job_id, run, *args], id=job_id,
            name=name, next_run_time=datetime.now(UTC),
        )  # fmt: skip

    async def _tick(self, job_id: str, run: Job, *args: Any) -> Any:
        """An interval run of `job_id`, unless it rests while webhooks flow."""
        with self.pacing.running(self.scheduler, job_id):
            return None if self._flow.rests(job_id) else await run(*args)

    async def _lead(
        self,
        work: Callable[[], Awaitable[R]],
        failed: str,
        idle: Callable[[], None] = lambda: None,
        **extra: Any,
    ) -> R | None:
        """`work` on the leader only (else `idle`), tracked in flight; a failure is logged
        as `failed` and the next run tries again."""
        with self._inflight.tracked():
            if self._after_acks is not None:
                await self._after_acks()
            if not await self._leading():
                idle()
                return None
            try:
                return await work()
            except Exception:
                log.exception(failed, extra=extra)
                return None

    async def run_poll(self) -> PollReport | None:
        async def poll() -> PollReport:
            self._metrics.poll_started()
            await self.rebuild()
            with background():
                report = await self._poller.poll_once()
            if not report.mava_errors:
                self._metrics.poll_succeeded()
            return report

        failed = "alert poll failed; trying again next interval"
        return await self._lead(poll, failed, idle=self._metrics.poll_stopped)

    async def run_threads(self) -> SyncReport | None:
        async def sync() -> SyncReport:
            assert self._threads is not None
            report = await self._threads.sync_once()
            self.pacing.plan(self.scheduler, THREAD_JOB, report.pages)
            return report

        return await self._lead(sync, "thread sync failed; trying again next interval")

    async def run_housekeeping(self) -> HousekeepingReport | None:
        return await self._lead(
            self._housekeeping.run, "housekeeping failed; trying again next hour"
        )

    async def run_job(self, job_id: str) -> Any:
        """One of the `jobs` given (delivery.desk_jobs)."""

        async def run() -> Any:
            done = await (job := self._jobs[job_id]).run()
            self.pacing.plan(self.scheduler, job_id, job.pages() if job.pages else None)
            return done

        return await self._lead(run, "desk job failed; trying again next interval", job=job_id)

    async def run_digest(
        self, key: str, fire_time: datetime | None = None
    ) -> DeliveryResult | ReportResult | None:
        """The digest (or report) run of subscription `key` at `fire_time` (default: the
        latest fire time up to now, which a late job stands for)."""
        return await self._lead(
            partial(self._run_digest, key, fire_time), "digest job failed", sub=key
        )

    async def _run_digest(
        self, key: str, fire_time: datetime | None
    ) -> DeliveryResult | ReportResult | None:
        sub = await self.subscriptions.get(key)
        if sub is None or sub.schedule is None:
            return None  # unsubscribed since the job was planned
        now = self._clock()
        trigger = self._triggers.get(key) or cron_trigger(sub.schedule.cron, sub.timezone)
        fire = fire_time or last_fire_time(trigger, now, DIGEST_GRACE)
        if fire is None:
            fire = now.replace(second=0, microsecond=0)
        result: DeliveryResult | ReportResult
        with background():
            if sub.kind == "report" and self._reports is not None:
                result = await self._reports.post(
                    sub.channel_id,
                    sub.report_days,
                    tz_name=sub.timezone,
                    run_key=run_key(sub, fire),
                    subscription=sub,
                )
            else:
                result = await self._digests.post(
                    sub.channel_id,
                    sub.filters,
                    run_key(sub, fire),
                    subscription=sub,
                    tz_name=sub.timezone,
                )
        retry_at = now + DIGEST_RETRY_DELAY
        if not result.ok and result.retryable and retry_at < fire + DIGEST_GRACE:
            self._add_once(f"digest-retry:{key}", retry_at, key, fire)
        return result

    async def _catch_up(self) -> None:
        """Run each digest whose latest fire time is within the grace."""
        now = self._clock()
        for key, trigger in self._triggers.items():
            fire = last_fire_time(trigger, now, DIGEST_GRACE)
            if fire is not None:
                self._add_once(f"digest-catchup:{key}", datetime.now(UTC), key, fire)

    def _add_once(self, job_id: str, when: datetime, key: str, fire: datetime) -> None:
        if self.scheduler is None:
            return
        self.scheduler.add_job(
            self.run_digest,
            DateTrigger(run_date=when),
            args=[key, fire],
            id=job_id,
            replace_existing=True,
            misfire_grace_time=int(DIGEST_GRACE.total_seconds()),
        )

    def _remove_job(self, job_id: str) -> None:
        if self.scheduler is not None and self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)
