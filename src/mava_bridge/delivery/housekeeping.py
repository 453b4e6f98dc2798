"""The housekeeping job: delete rows nothing needs any more, so tables stay bounded.

Run hourly on the leader by `BotScheduler`. What it deletes, and why that is safe:

- **Idempotency keys** past `expires_at`: an expired key protects nothing (a claim
  deletes it anyway before inserting its own).
- **Alert deliveries** claimed more than `ALERT_RETENTION` ago. A row is what stops a
  ticket from being alerted twice, so it must outlive every poll that can still find the
  ticket. The poller only searches tickets created within `ALERT_LOOKBACK` (30 days) of
  now, up to `CLOCK_SKEW` in the future (mava_bridge.delivery.alerts), and a ticket is
  claimed no earlier than `CLOCK_SKEW` before its creation; so from
  `ALERT_LOOKBACK + CLOCK_SKEW` after its claim no poll can match it. `ALERT_RETENTION`
  keeps rows three times that long, because the row also maps an alert's Slack thread to
  its ticket (`ticket_for_thread`), for commands run in that thread.
- **Digest runs** claimed more than `DIGEST_RUN_RETENTION` ago: a run is only claimed,
  posted or finished within `DIGEST_GRACE` (an hour) of its fire time
  (mava_bridge.delivery.scheduler, which checks the retention exceeds it).
- **Seen tickets** not read for `SEEN_RETENTION` (mava_bridge.store.seen): a
  forgotten ticket is still found by id, only with a wider (dearer) search.
- **The bridge's own Mava messages** older than `BRIDGE_MESSAGE_RETENTION`: they exist
  so the thread sync does not echo them, and it sees each within one sync (minutes).
- **Seen webhooks** older than a day (mava_bridge.store.seen): Mava retries
  within minutes, so a day-old id protects nothing.
- **Thread items of ended follows** claimed more than `ENDED_THREAD_RETENTION` ago: an
  ended follow is not synced, and following again starts from a fresh baseline.
- **Reminders of waiting periods that are over** (a later period of the same ticket in
  the same channel was claimed since) and **assignment DMs of superseded generations**,
  finished more than `DESK_ROW_RETENTION` ago. Only rows the desk can never ask about
  again: the latest period and the current generation stay whatever their age, since
  an open ticket can wait, or be reopened to the same assignee, months later
  (mava_bridge.store.deliveries, mava_bridge.store.assignments).

- **Rating posts** claimed more than `RATING_RETENTION` ago: their tickets were created
  before that, outside what the ratings job reads, so they are never asked about again
  (a subscription's first-look row stays: mava_bridge.store.deliveries).

The audit log is kept: it is the record of who did what, and its retention is the
operator's decision (README, "Audit log").
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
from mava_bridge.store.db import BATCH, Database
from mava_bridge.store.seen import SeenTickets, SeenWebhooks
from mava_bridge.store.tables import utcnow
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
        now = self._clock()
        report = HousekeepingReport(
            idempotency_keys=await self._idempotency.purge_expired(batch=self._batch),
            alert_deliveries=await deliveries.ALERTS.purge(
                self._db, now - ALERT_RETENTION, batch=self._batch
            ),
            digest_runs=await deliveries.RUNS.purge(
                self._db, now - DIGEST_RUN_RETENTION, batch=self._batch
            ),
            seen_tickets=await self._seen.purge(batch=self._batch) if self._seen else 0,
            bridge_messages=await purge_bridge_messages(
                self._db, now - BRIDGE_MESSAGE_RETENTION, batch=self._batch
            ),
            thread_posts=await deliveries.purge_ended_thread_posts(
                self._db, now - ENDED_THREAD_RETENTION, batch=self._batch
            ),
            seen_webhooks=await self._webhooks.purge(batch=self._batch),
            reminder_posts=await deliveries.purge_superseded_reminders(
                self._db, now - DESK_ROW_RETENTION, batch=self._batch
            ),
            assignment_dms=await purge_superseded_dms(
                self._db, now - DESK_ROW_RETENTION, batch=self._batch
            ),
            rating_posts=await deliveries.purge_ratings(
                self._db, now - RATING_RETENTION, batch=self._batch
            ),
        )
        if any(vars(report).values()):
            log.info("housekeeping", extra={"deleted": report})
        return report
