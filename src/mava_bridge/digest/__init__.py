"""Digests and alerts: scheduled jobs that poll Mava and post each ticket once.

- `subscriptions`: what each channel gets (from `/mava subscribe` and settings).
- `digest`: build and post a channel's digest; `alerts`: the poller for new tickets.
- `posting`: paced, retried Slack posts; `ledger`: claim-then-post-then-mark and the
  exact windows where a duplicate or a delay can happen.
- `scheduler`: the APScheduler jobs; crontab -> trigger rules live in
  `mava_bridge.domain.cron`.
- `housekeeping`: the hourly job deleting rows nothing needs any more.

`create_digest_runtime` wires them together sharing one `SlackPoster`, so posts to a
channel are paced across digests and alerts alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mava_bridge.digest.alerts import AlertPoller, PollReport
from mava_bridge.digest.digest import DeliveryResult, DigestPreview, DigestService
from mava_bridge.digest.housekeeping import Housekeeping
from mava_bridge.digest.ledger import take_over_claims, ticket_for_thread
from mava_bridge.digest.posting import DeliveryFailed, SlackPoster
from mava_bridge.digest.scheduler import BotScheduler, ShouldRun, always_run
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import (
    ActiveSubscription,
    Clock,
    SubscriptionError,
    SubscriptionService,
    SubscriptionView,
)
from mava_bridge.settings import Settings
from mava_bridge.store.db import Database
from mava_bridge.store.idempotency import IdempotencyStore
from mava_bridge.store.leader import replica_name
from mava_bridge.store.tables import utcnow


@dataclass(frozen=True)
class DigestRuntime:
    subscriptions: SubscriptionService
    digests: DigestService
    poller: AlertPoller
    scheduler: BotScheduler
    poster: SlackPoster


def create_digest_runtime(
    settings: Settings,
    mava: MavaClient,
    db: Database,
    poster: SlackPoster,
    *,
    metrics: Metrics,
    link: Callable[[str], str] | None = None,
    should_run: ShouldRun = always_run,
    clock: Clock = utcnow,
    poll_interval: float | None = None,
    owner: str | None = None,
) -> DigestRuntime:
    """Every digest/alert component, sharing one poster and one subscription service.
    `owner` names this process on the claims it makes (default: a fresh `replica_name`).
    Call `runtime.scheduler.start()` inside the running event loop."""
    link = link or settings.ticket_url
    me = owner or replica_name()
    subscriptions = SubscriptionService(db, settings, clock=clock)
    shared: dict[str, Any] = {"metrics": metrics, "subscriptions": subscriptions, "owner": me}
    digests = DigestService(mava, db, poster, settings, link, clock, **shared)
    poller = AlertPoller(mava, db, poster, settings, link, clock, **shared)
    # Only its purge is used here: expired keys, whatever the window.
    idempotency = IdempotencyStore(db, settings.idempotency_window_seconds, clock=clock)

    async def take_over() -> tuple[int, int]:
        return await take_over_claims(db, me)

    scheduler = BotScheduler(
        settings,
        subscriptions,
        digests,
        poller,
        should_run,
        clock=clock,
        poll_interval=poll_interval,
        take_over=take_over,
        housekeeping=Housekeeping(db, idempotency, clock=clock),
        metrics=metrics,
    )
    return DigestRuntime(subscriptions, digests, poller, scheduler, poster)


__all__ = [
    "ActiveSubscription",
    "AlertPoller",
    "BotScheduler",
    "DeliveryFailed",
    "DeliveryResult",
    "DigestPreview",
    "DigestRuntime",
    "DigestService",
    "PollReport",
    "SlackPoster",
    "SubscriptionError",
    "SubscriptionService",
    "SubscriptionView",
    "create_digest_runtime",
    "ticket_for_thread",
]
