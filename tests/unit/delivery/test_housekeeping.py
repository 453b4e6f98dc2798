"""The housekeeping job on SQLite and PostgreSQL: what it deletes and what it keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backends import Backend
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import func, select

from mava_bridge.app import build_delivery
from mava_bridge.delivery.housekeeping import (
    ALERT_RETENTION,
    BRIDGE_MESSAGE_RETENTION,
    DESK_ROW_RETENTION,
    DIGEST_RUN_RETENTION,
    ENDED_THREAD_RETENTION,
    RATING_RETENTION,
    Housekeeping,
)
from mava_bridge.delivery.queries import ALERT_LOOKBACK, CLOCK_SKEW
from mava_bridge.delivery.scheduler import HOUSEKEEPING_INTERVAL, HOUSEKEEPING_JOB
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.settings import Settings
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store import deliveries, follows, writes
from mava_bridge.store.db import Database
from mava_bridge.store.tables import (
    AlertDelivery,
    AssignmentDm,
    BridgeMessage,
    DigestRun,
    IdempotencyKey,
    RatingPost,
    ReminderPost,
    ThreadPost,
    TicketAssignee,
)
from mava_bridge.store.writes import IdempotencyStore
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def count(db: Database, table: type[AlertDelivery | DigestRun | IdempotencyKey]) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def keys(db: Database, table: type[AlertDelivery | DigestRun]) -> set[str]:
    column = AlertDelivery.ticket_id if table is AlertDelivery else DigestRun.run_key
    async with db.session() as session:
        return set((await session.scalars(select(column))).all())


async def test_deletes_what_nothing_needs_and_keeps_the_rest(backend: Backend) -> None:
    db = backend.database()
    await db.migrate()
    async with db.session() as session, session.begin():
        for name, age in {
            "expired-1": -HOUR,
            "expired-2": -timedelta(days=3),
            "live": HOUR,
        }.items():
            session.add(
                IdempotencyKey(key=name, created_at=NOW - timedelta(days=5), expires_at=NOW + age)
            )
        for ticket, age in {
            # Still findable by a poll (created within ALERT_LOOKBACK): must stay.
            "t-findable": ALERT_LOOKBACK + CLOCK_SKEW,
            "t-kept": ALERT_RETENTION - HOUR,
            "t-old": ALERT_RETENTION + HOUR,
            "t-ancient": ALERT_RETENTION * 3,
        }.items():
            session.add(
                AlertDelivery(
                    channel_id="C1",
                    ticket_id=ticket,
                    reason="new",
                    state="posted",
                    message_ts="1.0",
                    claimed_at=NOW - age,
                    posted_at=NOW - age,
                )
            )
        for run, age in {
            "run-recent": HOUR,
            "run-kept": DIGEST_RUN_RETENTION - HOUR,
            "run-old": DIGEST_RUN_RETENTION + HOUR,
        }.items():
            session.add(
                DigestRun(run_key=run, channel_id="C1", state="posted", claimed_at=NOW - age)
            )

    def clock() -> datetime:
        return NOW

    job = Housekeeping(db, IdempotencyStore(db, 60, clock=clock), clock=clock, batch=1)
    report = await job.run()

    assert (report.idempotency_keys, report.alert_deliveries, report.digest_runs) == (2, 2, 1)
    async with db.session() as session:
        assert set((await session.scalars(select(IdempotencyKey.key))).all()) == {"live"}
    assert await keys(db, AlertDelivery) == {"t-findable", "t-kept"}
    assert await keys(db, DigestRun) == {"run-recent", "run-kept"}
    # A second run finds nothing more to do.
    again = await job.run()
    assert (again.idempotency_keys, again.alert_deliveries, again.digest_runs) == (0, 0, 0)
    assert await count(db, AlertDelivery) == 2


def test_alerts_outlive_every_poll_that_can_find_their_ticket() -> None:
    assert ALERT_RETENTION > ALERT_LOOKBACK + CLOCK_SKEW


async def test_the_scheduler_runs_it_hourly_on_the_leader_only(
    db: Database, stub: SlackStub, mava: MavaClient
) -> None:
    leading = False

    async def should_run() -> bool:
        return leading

    metrics = Metrics(process_metrics=False)
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    runtime = build_delivery(
        Settings(_env_file=None),
        mava,
        db,
        SlackPoster(client, metrics=metrics),
        metrics=metrics,
        idempotency=IdempotencyStore(db, 60),
        should_run=should_run,
    )
    now = datetime.now(UTC)
    async with db.session() as session, session.begin():
        session.add(IdempotencyKey(key="expired", created_at=now - HOUR, expires_at=now))

    assert await runtime.scheduler.run_housekeeping() is None  # not the leader
    assert await count(db, IdempotencyKey) == 1
    leading = True
    report = await runtime.scheduler.run_housekeeping()
    assert report is not None and report.idempotency_keys == 1
    assert await count(db, IdempotencyKey) == 0

    await runtime.scheduler.start()
    try:
        scheduler = runtime.scheduler.scheduler
        assert scheduler is not None
        job = scheduler.get_job(HOUSEKEEPING_JOB)
        assert job is not None and job.trigger.interval == HOUSEKEEPING_INTERVAL
    finally:
        await runtime.scheduler.shutdown()


async def test_forgets_old_echo_records_and_the_items_of_ended_threads(backend: Backend) -> None:
    db = backend.database()
    await db.migrate()
    kept, ended = [
        (
            await follows.follow(
                db,
                ticket_id=ticket,
                channel_id="C1",
                thread_ts=ts,
                ticket_created_at=NOW - timedelta(days=9),
                followed_by="U1",
                now=NOW - timedelta(days=9),
            )
        )[0]
        for ticket, ts in (("t-live", "1.0"), ("t-ended", "2.0"))
    ]
    assert await follows.unfollow(db, channel_id="C1", ticket_id="t-ended")
    for follow in (kept, ended):
        for key, age in (("m-old", ENDED_THREAD_RETENTION + HOUR), ("m-new", HOUR)):
            assert await deliveries.ITEMS.claim(db, (follow.id, key), NOW - age, "p1")
    for content, age in (("old", BRIDGE_MESSAGE_RETENTION + HOUR), ("new", HOUR)):
        await writes.record_bridge_message(
            db, ticket_id="t-live", mava_message_id=None, content=content, now=NOW - age
        )

    def clock() -> datetime:
        return NOW

    report = await Housekeeping(db, IdempotencyStore(db, 60, clock=clock), clock=clock).run()

    assert (report.bridge_messages, report.thread_posts) == (1, 1)
    async with db.session() as session:
        items = (await session.execute(select(ThreadPost.follow_id, ThreadPost.item_key))).all()
        left = set((await session.scalars(select(BridgeMessage.content_hash))).all())
    # The live thread keeps everything; the ended one only what may still be in flight.
    assert set(items) == {(kept.id, "m-old"), (kept.id, "m-new"), (ended.id, "m-new")}
    assert left == {writes.content_hash("new")}


async def test_forgets_only_desk_rows_the_desk_can_never_ask_about(backend: Backend) -> None:
    """Reminders of a waiting period that is over (a later period of the ticket was
    reminded since) and DMs of an assignment the ticket moved past go; the latest period
    and the current assignment stay however old, or they would be posted again."""
    db = backend.database()
    await db.migrate()
    old, recent = NOW - DESK_ROW_RETENTION - HOUR, NOW - HOUR
    p1, p2, p3 = (
        "2026-01-05T09:00:00+00:00",
        "2026-03-01T10:00:00+00:00",
        "2026-05-31T11:00:00+00:00",
    )
    reminders = [
        # (channel, ticket, period, state, claimed_at)
        ("C1", "t-a", p1, "posted", old),  # over: t-a waited again (p2) -> goes
        ("C1", "t-a", p2, "posted", old + timedelta(minutes=1)),  # the latest, however old
        ("C2", "t-a", p1, "posted", old),  # the only row in C2: stays
        ("C1", "t-b", p1, "baseline", old),  # over (p3 since) -> goes
        ("C1", "t-b", p3, "posted", recent),
        ("C1", "t-c", p1, "posted", recent - timedelta(minutes=5)),  # over, but recent: stays
        ("C1", "t-c", p3, "posted", recent),
        ("C1", "t-d", p1, "claimed", old),  # a claim in flight: stays
        ("C1", "t-d", p2, "posted", old),
        ("C1", "t-e", p3, "posted", old),  # p2 claimed after p3 (a replica's stale
        ("C1", "t-e", p2, "posted", old + HOUR),  # board): the current p3 stays, p2 too
        ("C1", deliveries.BACKLOG, "sub:1", "posted", old),  # a first look: stays
    ]
    async with db.session() as session, session.begin():
        for channel, ticket, period, state, at in reminders:
            session.add(
                ReminderPost(
                    channel_id=channel, ticket_id=ticket, period=period, state=state, claimed_at=at
                )
            )
        for ticket, generation in (("t-a", 3), ("t-b", 1)):
            session.add(TicketAssignee(ticket_id=ticket, agent_id="a1", generation=generation))
        for ticket, generation, state, at in [
            ("t-a", 1, "posted", old),  # superseded (t-a is at 3) -> goes
            ("t-a", 2, "retry", old),  # superseded but still to retry: stays
            ("t-a", 3, "posted", old),  # the current assignment, however old: stays
            ("t-b", 1, "self", old),  # current: stays
            ("t-c", 1, "posted", old),  # no assignee row known: stays
        ]:
            session.add(
                AssignmentDm(
                    ticket_id=ticket, generation=generation, agent_id="a1", state=state,
                    claimed_at=at,
                )
            )  # fmt: skip

    def clock() -> datetime:
        return NOW

    report = await Housekeeping(db, IdempotencyStore(db, 60, clock=clock), clock=clock).run()

    assert (report.reminder_posts, report.assignment_dms) == (2, 1)
    async with db.session() as session:
        rows = await session.execute(
            select(ReminderPost.channel_id, ReminderPost.ticket_id, ReminderPost.period)
        )
        dms = await session.execute(select(AssignmentDm.ticket_id, AssignmentDm.generation))
        left, left_dms = set(rows.all()), set(dms.all())
    gone = {("C1", "t-a", p1), ("C1", "t-b", p1)}
    assert left == {(c, t, p) for c, t, p, _, _ in reminders} - gone
    assert left_dms == {("t-a", 2), ("t-a", 3), ("t-b", 1), ("t-c", 1)}
    # A second run finds nothing more to delete.
    again = await Housekeeping(db, IdempotencyStore(db, 60, clock=clock), clock=clock).run()
    assert (again.reminder_posts, again.assignment_dms) == (0, 0)


async def test_forgets_rating_posts_of_tickets_the_ratings_job_no_longer_reads(
    backend: Backend,
) -> None:
    """A rating post claimed before RATING_RETENTION is of a ticket created before the
    ratings job's lookback, never read again: it goes; a first look and a claim in
    flight stay whatever their age."""
    db = backend.database()
    await db.migrate()
    old, recent = NOW - RATING_RETENTION - HOUR, NOW - HOUR
    rows = [
        ("t-old", "posted", old),  # goes
        ("t-base", "baseline", old),  # goes
        ("t-new", "posted", recent),
        ("t-flight", "claimed", old),
        (deliveries.look("sub:1"), "baseline", old),
    ]
    async with db.session() as session, session.begin():
        for ticket, state, at in rows:
            session.add(RatingPost(channel_id="C1", ticket_id=ticket, state=state, claimed_at=at))

    def clock() -> datetime:
        return NOW

    report = await Housekeeping(db, IdempotencyStore(db, 60, clock=clock), clock=clock).run()
    assert report.rating_posts == 2
    assert await deliveries.RATINGS.known(db, ("C1",), [t for t, _, _ in rows]) == {
        "t-new",
        "t-flight",
        "look:sub:1",
    }
    await db.dispose()
