"""Schedules (crontab meaning, time zones, DST) and the APScheduler jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MAX_INSTANCES, JobEvent
from ledger_rows import digest_run_state
from scenarios.log_capture import captured_logs
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from mava_bridge.app import build_delivery
from mava_bridge.delivery.scheduler import POLL_JOB, BotScheduler
from mava_bridge.domain.filters import Filters
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.domain.schedule import Schedule
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.settings import Settings
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store import deliveries as ledger
from mava_bridge.store.db import Database
from mava_bridge.store.tables import PollWatermark
from mava_bridge.store.writes import IdempotencyStore
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

BERLIN = ZoneInfo("Europe/Berlin")
DIGESTS = "C0DIGEST"

# --- the scheduler ----------------------------------------------------------------------


async def _no_sleep(_seconds: float) -> None:
    return None


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "digest_channel": DIGESTS,
        "digest_timezone": "Europe/Berlin",
        "digest_schedule": "0 9 * * 1-5",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


SchedulerFactory = Callable[..., BotScheduler]


@pytest.fixture
def make_scheduler(db: Database, stub: SlackStub, mava: MavaClient) -> SchedulerFactory:
    def build(
        settings: Settings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        should_run: Callable[[], Any] | None = None,
        poll_interval: float | None = None,
    ) -> BotScheduler:
        settings = settings or make_settings()
        client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
        metrics = Metrics(process_metrics=False)
        retry = replace(SLACK_RETRY, base_delay=0.001)
        poster = SlackPoster(
            client, metrics=metrics, min_interval=0.0, retry=retry, sleep=_no_sleep
        )
        options: dict[str, Any] = {
            "clock": clock,
            "metrics": metrics,
            "poll_interval": poll_interval,
            "idempotency": IdempotencyStore(db, settings.idempotency_window_seconds, clock=clock),
        }
        if should_run is not None:
            options["should_run"] = should_run
        return build_delivery(settings, mava, db, poster, **options).scheduler

    return build


def top_messages(stub: SlackStub, channel: str) -> list[dict[str, Any]]:
    return [m for m in stub.messages(channel) if m.get("thread_ts", m["ts"]) == m["ts"]]


async def test_next_digest_time_is_local_and_skips_the_weekend(
    make_scheduler: SchedulerFactory,
) -> None:
    clock = Clock(datetime(2026, 3, 27, 10, 0, tzinfo=BERLIN))  # a Friday, after 09:00
    scheduler = make_scheduler(clock=clock)
    await scheduler.rebuild()
    [(key, fire)] = scheduler.next_digest_times().items()
    assert key == f"settings:digest:{DIGESTS}"
    # Monday after the switch to summer time: 09:00 in Berlin is 07:00 UTC.
    assert fire.astimezone(BERLIN) == datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)
    assert fire.astimezone(UTC).hour == 7


async def test_digest_job_posts_each_run_once(
    make_scheduler: SchedulerFactory, stub: SlackStub
) -> None:
    clock = Clock(datetime(2026, 3, 30, 9, 0, 1, tzinfo=BERLIN))  # just after the fire time
    scheduler = make_scheduler(clock=clock)
    await scheduler.rebuild()
    key = f"settings:digest:{DIGESTS}"
    result = await scheduler.run_digest(key)
    assert result is not None and result.status == "posted"
    clock.now += timedelta(seconds=30)  # the same run, fired again (or by a second leader)
    again = await make_scheduler(clock=clock).run_digest(key)
    assert again is not None and again.status == "duplicate"
    assert len(top_messages(stub, DIGESTS)) == 1
    clock.now += timedelta(days=1)  # the next day is a new run
    assert (await scheduler.run_digest(key)) is not None
    assert len(top_messages(stub, DIGESTS)) == 2


async def test_jobs_ask_should_run_first(
    make_scheduler: SchedulerFactory, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    asked: list[bool] = []

    async def not_leader() -> bool:
        asked.append(False)
        return False

    settings = make_settings(alert_channel="C0ALERTS")
    scheduler = make_scheduler(settings, should_run=not_leader)
    await scheduler.rebuild()
    assert await scheduler.run_poll() is None
    assert await scheduler.run_digest(f"settings:digest:{DIGESTS}") is None
    assert asked == [False, False]
    assert mava_sandbox.sandbox.requests == []
    assert stub.calls() == []


async def test_running_scheduler_polls_and_follows_subscription_changes(
    make_scheduler: SchedulerFactory, stub: SlackStub, mava_sandbox: RunningSandbox, db: Database
) -> None:
    settings = make_settings(alert_channel="C0ALERTS", digest_channel=None)
    scheduler = make_scheduler(settings, poll_interval=0.2)
    await scheduler.start()
    try:
        # The first poll runs at once and takes the baseline; the next one alerts.
        # Its watermark row says the baseline is taken: a ticket added before that would
        # be part of it (under load a fixed 0.1 s was not enough).
        for _ in range(3000):
            async with db.session() as session:
                if await session.scalar(select(func.count()).select_from(PollWatermark)):
                    break
            await asyncio.sleep(0.01)
        ticket = mava_sandbox.sandbox.add_ticket(priority=3, status="Open")
        await stub.wait_for("chat.postMessage", timeout=30)
        assert f"ticket:{ticket['_id']}" in str(stub.messages("C0ALERTS")[0]["blocks"])

        assert scheduler.scheduler is not None
        subscriptions = scheduler.subscriptions
        sub = await subscriptions.add(
            "digest",
            "C0TEAM",
            Filters(unassigned_only=True),
            "U0JANE",
            schedule=Schedule.daily(8, 0),
        )
        assert scheduler.scheduler.get_job(f"digest:sub:{sub.id}") is not None
        assert await subscriptions.remove("C0TEAM", sub.id)
        assert scheduler.scheduler.get_job(f"digest:sub:{sub.id}") is None
    finally:
        await scheduler.shutdown()
    assert scheduler.scheduler is None


async def test_start_catches_up_a_missed_digest_once(
    make_scheduler: SchedulerFactory, stub: SlackStub, db: Database
) -> None:
    # The bot died at 09:00 on Monday after claiming the run, and comes back at 09:20.
    clock = Clock(datetime(2026, 3, 30, 9, 20, tzinfo=BERLIN))
    run = f"settings:digest:{DIGESTS}@2026-03-30T07:00Z"
    assert await ledger.claim_digest_run(db, run, DIGESTS, clock.now - timedelta(minutes=20))
    scheduler = make_scheduler(clock=clock)
    await scheduler.start()
    try:
        await stub.wait_for("chat.postMessage", timeout=30)
    finally:
        await scheduler.shutdown()
    assert len(top_messages(stub, DIGESTS)) == 1

    restarted = make_scheduler(clock=clock)  # a second restart: already posted
    await restarted.start()
    await asyncio.sleep(0.3)
    await restarted.shutdown()
    assert len(top_messages(stub, DIGESTS)) == 1
    assert await digest_run_state(db, run) == ledger.POSTED


async def test_jobs_planned_before_start_are_scheduled(make_scheduler: SchedulerFactory) -> None:
    clock = Clock(datetime(2026, 3, 27, 10, 0, tzinfo=BERLIN))
    scheduler = make_scheduler(clock=clock)
    await scheduler.rebuild()
    await scheduler.start()
    try:
        assert scheduler.scheduler is not None
        job = scheduler.scheduler.get_job(f"digest:settings:digest:{DIGESTS}")
        assert job is not None
        assert job.trigger.timezone == BERLIN
    finally:
        await scheduler.shutdown()


async def test_a_slow_poll_is_said_once_per_slow_run_not_on_every_tick(
    make_scheduler: SchedulerFactory, mava_sandbox: RunningSandbox
) -> None:
    """Mava answers the poll after 3.5 s while the poll is due every second:
    APScheduler skips a turn on every tick and would warn each time; the log says it
    once per slow run, at INFO. (A second, not less: a fast poll must take less than a
    tick even on a loaded machine, or it too is slow and said.)"""
    settings = make_settings(alert_channel="C0ALERTS", digest_channel=None)
    scheduler = make_scheduler(settings, poll_interval=1.0)
    events: list[JobEvent] = []

    def skipped() -> int:
        return sum(1 for e in events if e.code == EVENT_JOB_MAX_INSTANCES and e.job_id == POLL_JOB)

    def runs() -> int:
        return sum(1 for e in events if e.code == EVENT_JOB_EXECUTED and e.job_id == POLL_JOB)

    sandbox = mava_sandbox.sandbox
    with captured_logs() as logs:
        sandbox.latency = 3.5  # each Mava request of the poll takes 3.5 s
        await scheduler.start()
        try:
            assert scheduler.scheduler is not None
            scheduler.scheduler.add_listener(
                events.append, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_EXECUTED
            )
            await _until(lambda: skipped() >= 3)  # the first, slow, poll is still running
            sandbox.latency = 0.0
            ended = runs()
            await _until(lambda: runs() >= ended + 3)  # the slow run ended; fast ones follow
            sandbox.latency = 3.5
            slow_again = skipped()
            await _until(lambda: skipped() >= slow_again + 3)  # a second slow run
        finally:
            sandbox.latency = 0.0
            await scheduler.shutdown()
    # The poll's lines only: on a loaded machine the desk's jobs, slowed by the same
    # latency, may overrun their own interval too (and say so, once per run).
    told = [r for r in logs.records() if r["message"].startswith("poll Mava for alerts still")]
    assert [(r["level"], r["message"]) for r in told] == [
        ("INFO", "poll Mava for alerts still running: its next turns wait for it to end")
    ] * 2
    assert [r for r in logs.records() if r["level"] not in ("DEBUG", "INFO")] == []


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(3000):  # up to 30 s: generous, it ends when the condition holds
        if condition():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("condition not met in 30 s")
