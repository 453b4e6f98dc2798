"""What every delivery job works with, built once by the composition root, and the
steps they share: a batch of posts, a subscription's outcome, a scheduled run."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.delivery.ports import Chat, DeliveryFailed, LinkFor, Poster, Renderer
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import (
    ActiveSubscription,
    Clock,
    SubscriptionService,
    record_outcome,
)
from mava_bridge.settings import Settings
from mava_bridge.store import deliveries
from mava_bridge.store.db import Database, utcnow

log = logging.getLogger(__name__)

# Per channel and poll: Slack takes about one post per second per channel.
MAX_PER_POLL: Final = 20
T = TypeVar("T")


@dataclass
class PostCounts:
    """What a subscription job's run did (its report adds what is its own)."""

    subscriptions: int = 0
    posted: int = 0
    skipped: int = 0  # claimed elsewhere, or left for the next poll
    errors: int = 0
    baselined: int = 0  # already there at a subscription's first look: never posted
    recovered: int = 0  # a dead leader's post found in Slack: recorded, not reposted


@dataclass(frozen=True)
class DeliveryParts:
    mava: MavaClient
    db: Database
    # Shared by every job, so posts to a channel are paced across all of them.
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
    lookback: Chat | None = None

    async def outcome(self, sub: ActiveSubscription, outcome: str) -> None:
        """Record a subscription's last outcome (what `/mava subscriptions` shows); a
        database error is logged, never raised into the delivery."""
        try:
            await record_outcome(self.db, sub, outcome, self.clock())
        except SQLAlchemyError:
            log.exception("could not record a subscription outcome", extra={"sub": sub.key})

    async def claim_run(self, run_key: str, channel: str) -> deliveries.DigestClaim | None:
        """A scheduled digest or report run (store.deliveries); None: taken already."""
        return await deliveries.claim_digest_run(
            self.db, run_key, channel, self.clock(), self.owner
        )

    async def finish_run(
        self, claim: deliveries.DigestClaim, state: str, ts: str | None, **values: Any
    ) -> None:
        """Failed with its message out, a run stays claimed: finished, never reposted."""
        if state == deliveries.FAILED and ts:
            state = deliveries.CLAIMED
        try:
            await deliveries.finish_digest_run(
                self.db, claim.run_key, state, self.clock(), ts=ts, **values
            )
        except SQLAlchemyError:
            log.exception(
                "run not recorded; it may be posted again once its claim is stale",
                extra={"run_key": claim.run_key},
            )

    async def post_batch(
        self,
        sub: ActiveSubscription,
        todo: Sequence[T],
        post: Callable[[T], Awaitable[str | None]],
        counts: PostCounts,
        said: Callable[[int], str],
    ) -> None:
        """Post `todo` to `sub`'s channel in order, at most MAX_PER_POLL (`post` is None
        for an item another process holds). A refusal is an error, and ends the batch
        when the channel takes no more now (retryable, unusable); the subscription's
        outcome is the last refusal, else `said(posted)`."""
        posted, failure = 0, None
        for index, item in enumerate(todo):
            if posted >= MAX_PER_POLL:
                counts.skipped += len(todo) - index
                break
            try:
                if await post(item) is None:
                    counts.skipped += 1
                    continue
            except DeliveryFailed as exc:
                failure = exc
                counts.errors += 1
                if exc.retryable or exc.channel_unusable:
                    counts.skipped += len(todo) - index - 1
                    break
                continue
            posted += 1
        counts.posted += posted
        if failure is not None:
            await self.outcome(sub, failure.describe())
        elif posted:
            await self.outcome(sub, said(posted))
