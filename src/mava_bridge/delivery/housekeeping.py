"""The hourly housekeeping job: delete rows nothing needs any more, so tables stay
bounded. Why each deletion is safe:

- Idempotency keys past `expires_at`; seen webhooks older than a day (Mava retries
  within minutes); seen tickets not read for their retention (found by id anyway).
- Alert deliveries claimed `ALERT_RETENTION` ago: a row stops a ticket being alerted
  twice, and no poll can match a ticket `ALERT_LOOKBACK + CLOCK_SKEW` after its claim;
  kept three times that, as it also maps an alert's thread to its ticket.
- Digest runs past `DIGEST_RUN_RETENTION`: a run is claimed and finished within
  `DIGEST_GRACE` of its fire time (the scheduler checks the retention exceeds it).
- The bridge's own Mava messages after `BRIDGE_MESSAGE_RETENTION`: the thread sync
  sees each within minutes. Thread items of ended follows: never synced again.
- Reminders of waiting periods that are over and DMs of superseded assignments, after
  `DESK_ROW_RETENTION` (the latest period and generation stay, whatever their age).
- Rating posts older than what the ratings job reads (the first-look rows stay).

The audit log is kept: its retention is the operator's decision (README).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from mava_bridge.delivery.queries import ALERT_LOOKBACK, CLOCK_SKEW
from mava_bridge.delivery.ratings import RATING_LOOKBACK
from mava_bridge.services.subscriptions import Clock
from mava_bridge.store import deliveries
from mava_bridge.store.assignments import purge_superseded_dms
from mava_bridge.store.db import BATCH, Database, utcnow
from mava_bridge.store.seen import SeenTickets, SeenWebhooks
from mava_bridge.store.writes import IdempotencyStore, purge_bridge_messages

log = logging.getLogger(__name__)

ALERT_RETENTION: Final = timedelta(days=90)
DIGEST_RUN_RETENTION: Final = timedelta(days=30)
BRIDGE_MESSAGE_RETENTION: Final = timedelta(days=7)
ENDED_THREAD_RETENTION: Final = timedelta(days=1)  # well past any sync still in flight
DESK_ROW_RETENTION: Final = timedelta(days=7)  # superseded rows kept a while, to look at
assert ALERT_RETENTION > ALERT_LOOKBACK + CLOCK_SKEW  # exactly-once needs at least that
RATING_RETENTION: Final = RATING_LOOKBACK + timedelta(days=1)


@dataclass(frozen=True)
class HousekeepingReport:
    idempotency_keys: int
    alert_deliveries: int
    digest_runs: int
    seen_tickets: int = 0
    bridge_messages: int = 0
    thread_posts: int = 0
    seen_webhooks: int = 0
    reminder_posts: int = 0
    assignment_dms: int = 0
    rating_posts: int = 0


class Housekeeping:
    def __init__(
        self,
        db: Database,
        idempotency: IdempotencyStore,
        *,
        clock: Clock = utcnow,
        batch: int = BATCH,
        seen: SeenTickets | None = None,
    ) -> None:
        self._db = db
        self._webhooks = SeenWebhooks(db, clock=clock)
        self._seen = seen
        self._idempotency = idempotency
        self._clock = clock
        self._batch = batch

    async def run(self) -> HousekeepingReport:
        now, db, batch = self._clock(), self._db, self._batch
        report = HousekeepingReport(
            idempotency_keys=await self._idempotency.purge_expired(batch=batch),
            alert_deliveries=await deliveries.ALERTS.purge(db, now - ALERT_RETENTION, batch=batch),
            digest_runs=await deliveries.RUNS.purge(db, now - DIGEST_RUN_RETENTION, batch=batch),
            seen_tickets=await self._seen.purge(batch=batch) if self._seen else 0,
            bridge_messages=await purge_bridge_messages(
                db, now - BRIDGE_MESSAGE_RETENTION, batch=batch
            ),
            thread_posts=await deliveries.purge_ended_thread_posts(
                db, now - ENDED_THREAD_RETENTION, batch=batch
            ),
            seen_webhooks=await self._webhooks.purge(batch=batch),
            reminder_posts=await deliveries.purge_superseded_reminders(
                db, now - DESK_ROW_RETENTION, batch=batch
            ),
            assignment_dms=await purge_superseded_dms(db, now - DESK_ROW_RETENTION, batch=batch),
            rating_posts=await deliveries.purge_ratings(db, now - RATING_RETENTION, batch=batch),
        )
        if any(vars(report).values()):
            log.info("housekeeping", extra={"deleted": report})
        return report
