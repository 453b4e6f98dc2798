"""What the alert poller and the digests both work with, built once by the composition
root (mava_bridge.app) and handed to each: one value, not the same ten constructor
arguments written out twice."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.delivery.ports import LinkFor, Lookback, Poster, Renderer
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import (
    ActiveSubscription,
    Clock,
    SubscriptionService,
    record_outcome,
)
from mava_bridge.settings import Settings
from mava_bridge.store.db import Database
from mava_bridge.store.tables import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryParts:
    mava: MavaClient
    db: Database
    # Shared by the poller and the digests, so posts to a channel are paced across both.
    poster: Poster
    renderer: Renderer
    settings: Settings
    subscriptions: SubscriptionService
    metrics: Metrics
    link: LinkFor
    clock: Clock = utcnow
    # This process's name on the claims it makes (Leadership.name; see store.ledger).
    owner: str | None = None
    # Reads back a post whose outcome is unknown (see store.ledger); None: cannot.
    lookback: Lookback | None = None

    async def outcome(self, sub: ActiveSubscription, outcome: str) -> None:
        """Record a subscription's last outcome (what `/mava subscriptions` shows); a
        database error is logged, never raised into the delivery."""
        try:
            await record_outcome(self.db, sub, outcome, self.clock())
        except SQLAlchemyError:
            log.exception("could not record a subscription outcome", extra={"sub": sub.key})
