"""Waiting-too-long reminders: `/mava subscribe reminders after 30m [high|medium]
[unassigned] [origin …]` posts, in that channel, each open ticket matching the filters
whose customer's latest message has had no agent answer for longer than the wait.

It reads the shared open-tickets board (services.open_board: no Mava read of its own,
and none at all while no channel subscribes). How long a customer has waited comes
from the ticket's messages (domain.waiting). A ticket is posted once per waiting
period — named by the period's first customer message, so more messages from the
customer do not repeat it, and a customer writing again after an agent answered starts
a new period that is reminded again. Claim, post, mark per (channel, ticket, period)
as for alerts (mava_bridge.delivery.ledger): once across replicas and restarts.
A post Slack refused is released and tried again by the next poll; after a refusal
that would repeat (the channel is unusable, or Slack is failing), the channel's other
reminders wait for the next poll too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.delivery.assignment_dms import Board
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import DeliveryFailed
from mava_bridge.domain.waiting import waiting_period_start, waiting_since
from mava_bridge.domain.wording import duration
from mava_bridge.mava.models import Ticket
from mava_bridge.mava.ratelimit import background
from mava_bridge.services.subscriptions import ActiveSubscription, record_outcome
from mava_bridge.store import reminder_posts as store

log = logging.getLogger(__name__)

MAX_PER_POLL: Final = 20  # per channel; Slack takes about one post per second per channel


@dataclass
class ReminderReport:
    subscriptions: int = 0
    due: int = 0
    posted: int = 0
    skipped: int = 0  # claimed elsewhere, or left for the next poll
    errors: int = 0


def reminder_reason(waited: timedelta) -> str:
    """The message's first line, e.g. "Customer waiting 2 h 15 m for an agent"."""
    return f"Customer waiting {duration(waited.total_seconds())} for an agent"


class Reminders:
    def __init__(self, parts: DeliveryParts, board: Board) -> None:
        self.parts = parts
        self.board = board

    async def poll_once(self, *, max_age: float | None = None) -> ReminderReport:
        report = ReminderReport()
        subs = [s for s in await self.parts.subscriptions.active("reminders") if s.wait_minutes]
        report.subscriptions = len(subs)
        if not subs:
            return report  # no board read for nobody
        with background():
            snapshot = await self.board.snapshot(max_age=max_age)
        now = self.parts.clock()
        for sub in subs:
            await self._remind(sub, snapshot.tickets, now, report)
        if report.posted or report.errors:
            log.info("reminders", extra={"report": report})
        return report

    async def take_over(self) -> int:
        return await store.take_over(self.parts.db, self.parts.owner or "")

    async def _remind(
        self, sub: ActiveSubscription, tickets: list[Ticket], now: datetime, report: ReminderReport
    ) -> None:
        wait = timedelta(minutes=sub.wait_minutes or 0)
        due: list[tuple[Ticket, str, timedelta]] = []
        for ticket in tickets:
            since = waiting_since(ticket)
            start = waiting_period_start(ticket)
            if since is None or start is None or not sub.filters.matches(ticket):
                continue
            if now - since > wait:
                due.append((ticket, start.isoformat(), now - since))
        due.sort(key=lambda item: -item[2])  # longest-waiting first
        report.due += len(due)
        db, channel = self.parts.db, sub.channel_id
        done = await store.known(db, channel, ((t.id, period) for t, period, _ in due))
        todo = [item for item in due if (item[0].id, item[1]) not in done]
        posted, failure = 0, None
        for index, (ticket, period, waited) in enumerate(todo):
            if posted >= MAX_PER_POLL:
                report.skipped += len(todo) - index
                break
            if not await store.claim(db, channel, ticket.id, period, now, self.parts.owner):
                report.skipped += 1
                continue
            reason = reminder_reason(waited)
            try:
                ts = await self.parts.poster.post(
                    channel,
                    self.parts.renderer.alert_text(ticket, reason),
                    self.parts.renderer.alert_message(
                        ticket, link=self.parts.link, now=now, reason=reason
                    ),
                )
            except DeliveryFailed as exc:
                failure = exc
                await store.release(db, channel, ticket.id, period)
                report.errors += 1
                log.warning(
                    "reminder not posted",
                    extra={"channel": channel, "ticket": ticket.id, "error": exc.error},
                )
                if exc.retryable or exc.channel_unusable:
                    report.skipped += len(todo) - index - 1
                    break
                continue
            try:
                await store.mark_posted(db, channel, ticket.id, period, ts, self.parts.clock())
            except SQLAlchemyError:
                log.exception("reminder posted but not recorded", extra={"ticket": ticket.id})
            posted += 1
            report.posted += 1
        if failure is not None:
            await self._outcome(sub, failure.describe())
        elif posted:
            await self._outcome(sub, f"posted {posted} reminder{'s' if posted != 1 else ''}")

    async def _outcome(self, sub: ActiveSubscription, outcome: str) -> None:
        try:
            await record_outcome(self.parts.db, sub, outcome, self.parts.clock())
        except SQLAlchemyError:
            log.exception("could not record a subscription outcome", extra={"sub": sub.key})
