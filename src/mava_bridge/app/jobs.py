"""The delivery jobs wired together on one poster and one subscription service, under one
scheduler. Part of the composition root: it hands delivery the Slack poster and
renderers delivery itself never imports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from mava_bridge.delivery.alerts import AlertPoller
from mava_bridge.delivery.desk_jobs import Desk, LeaderJob, build_desk
from mava_bridge.delivery.digests import DigestService
from mava_bridge.delivery.housekeeping import Housekeeping
from mava_bridge.delivery.leading import ShouldRun, always_run
from mava_bridge.delivery.nudges import Nudges
from mava_bridge.delivery.pacing import WebhookFlow
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import Chat, FindMember, MayReceive, Poster
from mava_bridge.delivery.ratings import RATINGS_JOB, Ratings
from mava_bridge.delivery.reports import Reports
from mava_bridge.delivery.scheduler import BotScheduler
from mava_bridge.delivery.threads import ThreadSync
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.open_board import OpenBoard
from mava_bridge.services.reports import ReportReader
from mava_bridge.services.subscriptions import Clock, SubscriptionService
from mava_bridge.settings import Settings
from mava_bridge.slack.blocks import digest as digest_blocks
from mava_bridge.slack.blocks import threads as thread_blocks
from mava_bridge.slack.blocks.report import report_message, report_title
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store import sla as sla_store
from mava_bridge.store.db import Database, utcnow
from mava_bridge.store.deliveries import take_over_claims
from mava_bridge.store.leader import replica_name
from mava_bridge.store.seen import SeenTickets, SeenWebhooks
from mava_bridge.store.writes import IdempotencyStore


@dataclass(frozen=True)
class Delivery:
    subscriptions: SubscriptionService
    digests: DigestService
    poller: AlertPoller
    scheduler: BotScheduler
    poster: Poster
    board: OpenBoard  # every open ticket, read as often as a sixth of the budget allows
    desk: Desk  # assignment DMs, reminders and SLA breaches (leader jobs)
    reports: Reports  # support reports, their chart a file upload
    ratings: Ratings  # tickets newly rated (a leader job)
    nudges: Nudges | None = None  # Mava's webhooks run the jobs now (key set)


def build_digests(
    settings: Settings,
    mava: MavaClient,
    db: Database,
    poster: Poster,
    *,
    lookback: Chat | None,  # reads back posts a crash left in doubt; None: none
    metrics: Metrics,
    subscriptions: SubscriptionService,
    clock: Clock = utcnow,
    owner: str | None = None,
) -> DigestService:
    return DigestService(
        DeliveryParts(
            mava=mava,
            db=db,
            poster=poster,
            renderer=digest_blocks,
            settings=settings,
            subscriptions=subscriptions,
            metrics=metrics,
            link=settings.ticket_url,
            clock=clock,
            owner=owner,
            lookback=lookback,
        )
    )


def build_delivery(
    settings: Settings,
    mava: MavaClient,
    db: Database,
    poster: SlackPoster,
    *,
    metrics: Metrics,
    idempotency: IdempotencyStore,  # only its purge is used here: expired keys
    should_run: ShouldRun = always_run,
    clock: Clock = utcnow,
    poll_interval: float | None = None,
    owner: str | None = None,
    members: FindMember | None = None,
    may_receive: MayReceive | None = None,
    after_acks: Callable[[], Awaitable[None]] | None = None,
) -> Delivery:
    """One poster paces a channel's posts across every job. `owner` names this process
    on the claims it makes (default: a fresh `replica_name`)."""
    me = owner or replica_name()

    async def subscriptions_changed() -> None:
        await scheduler.rebuild()  # the scheduler, built below from these subscriptions

    subscriptions = SubscriptionService(db, settings, clock=clock, on_change=subscriptions_changed)
    digests = build_digests(
        settings,
        mava,
        db,
        poster,
        lookback=poster,
        metrics=metrics,
        subscriptions=subscriptions,
        clock=clock,
        owner=me,
    )
    poller = AlertPoller(digests.parts)  # the same parts: one poster paces both
    threads = ThreadSync(digests.parts, poster, thread_blocks)  # followed tickets' threads

    budget = (settings.mava_rate_limit, settings.mava_rate_window_seconds)  # Mava's, per window
    reader = ReportReader(mava, budget=budget, max_years=settings.digest_max_years, now=clock)
    sla = partial(sla_store.told_between, db)  # a report counts the SLA posts told
    reports = Reports(digests.parts, reader, poster, report_message, report_title, sla=sla)

    board = OpenBoard.from_settings(settings, mava, now=clock)
    # `members`: who gets assignment DMs (if `may_receive`); the desk's jobs are paced by
    # the board's reads.
    desk = build_desk(
        digests.parts,
        board,
        members,
        digest_blocks,
        may_receive=may_receive,
        pages=board.last_pages,
    )
    ratings = Ratings(digests.parts)
    rated = LeaderJob(
        RATINGS_JOB, "ratings", settings.desk_refresh_seconds, ratings.poll_once, ratings.last_pages
    )

    async def take_over() -> tuple[int, int]:
        await threads.take_over()
        await desk.take_over()
        await ratings.take_over()
        return await take_over_claims(db, me)

    flow = WebhookFlow()  # Mava's webhooks, heard by the nudges, slow the interval jobs
    scheduler = BotScheduler(
        settings,
        subscriptions,
        digests,
        poller,
        should_run,
        clock=clock,
        poll_interval=poll_interval,
        take_over=take_over,
        housekeeping=Housekeeping(db, idempotency, clock=clock, seen=SeenTickets(db, clock=clock)),
        metrics=metrics,
        threads=threads,
        jobs=(*desk.jobs, rated),
        reports=reports,
        flow=flow,
        after_acks=after_acks,
    )
    nudges = None
    if settings.mava_webhook_signing_key is not None:
        seen = SeenWebhooks(db, clock=clock)
        poll = scheduler.run_poll
        nudges = Nudges(seen, should_run, threads, desk, board, poll, flow=flow, budget=budget)
    return Delivery(
        subscriptions, digests, poller, scheduler, poster, board, desk, reports, ratings, nudges
    )
