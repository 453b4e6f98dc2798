"""Waiting-too-long reminders: `/mava subscribe reminders after 30m [high|medium]
[unassigned] [origin …]` posts each matching open ticket whose customer's latest
message has had no agent answer for longer than the wait, read from the shared open
board (domain.waiting).

A ticket is posted once per waiting period, named by the period's first customer
message: more messages from the customer do not repeat it, and writing again after
an agent answered starts a new period. Claim, post, mark per (channel, ticket, period)
as for alerts (store.ledger). A subscription's first look posts no flood: what already
waits too long becomes its baseline and one summary (the `BACKLOG_SHOWN` longest).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from mava_bridge.delivery.in_doubt import post_card, post_claimed, reminder_tag, settle
from mava_bridge.delivery.parts import DeliveryParts, PostCounts
from mava_bridge.delivery.ports import DeliveryFailed, DeskRenderer
from mava_bridge.domain.waiting import waiting_period_start, waiting_since
from mava_bridge.domain.wording import duration
from mava_bridge.mava.models import Ticket
from mava_bridge.mava.ratelimit import background
from mava_bridge.services.open_board import OpenBoard
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.store import deliveries as store

log = logging.getLogger(__name__)

BACKLOG_SHOWN: Final = 10  # the longest waits a new subscription's summary names


@dataclass
class ReminderReport(PostCounts):
    due: int = 0
    summaries: int = 0  # new subscriptions' one post about what already waited (baselined)


def reminder_reason(waited: timedelta) -> str:
    """The message's first line, e.g. "Customer waiting 2 h 15 m for an agent"."""
    return f"Customer waiting {duration(waited.total_seconds())} for an agent"


class Reminders:
    def __init__(self, parts: DeliveryParts, board: OpenBoard, messages: DeskRenderer) -> None:
        self.parts = parts
        self.board = board
        self.messages = messages

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
        if report.posted or report.errors or report.summaries:
            log.info("reminders", extra={"report": report})
        return report

    async def take_over(self) -> int:
        return await store.REMINDERS.take_over(self.parts.db, self.parts.owner or "")

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
        found = await settle(
            self.parts, store.REMINDERS, (channel,), None, lambda k: reminder_tag(*k), channel
        )
        report.recovered += len(found)
        if not await self._first_look(sub, due, now, report):
            return
        done = await store.REMINDERS.states(db, (channel,), ((t.id, p) for t, p, _ in due))
        todo = [item for item in due if (item[0].id, item[1]) not in done]

        async def post(entry: tuple[Ticket, str, timedelta]) -> str | None:
            ticket, period, waited = entry
            key, reason = (channel, ticket.id, period), reminder_reason(waited)
            tag = reminder_tag(ticket.id, period)
            return await post_card(
                self.parts, store.REMINDERS, key, ticket, reason, tag, log, "reminder", now
            )

        await self.parts.post_batch(
            sub, todo, post, report, lambda n: f"posted {n} reminder{'s' if n != 1 else ''}"
        )

    async def _first_look(
        self,
        sub: ActiveSubscription,
        due: list[tuple[Ticket, str, timedelta]],
        now: datetime,
        report: ReminderReport,
    ) -> bool:
        """True once the first look (baseline and summary) is behind us; False while
        the summary is still to post (next poll)."""
        db, channel, owner = self.parts.db, sub.channel_id, self.parts.owner
        state = await store.REMINDERS.state(db, (channel, store.BACKLOG, sub.key))
        if state is not None:
            return state != store.CLAIMED  # claimed: being posted, or left by a dead leader
        keys = [(ticket.id, period) for ticket, period, _ in due]
        # Counted before the baseline is written, and again after a refused summary.
        states = await store.REMINDERS.states(db, (channel,), keys)
        new = len(keys) - sum(state != store.BASELINE for state in states.values())
        rest = sorted(set(keys))
        await store.REMINDERS.record(db, (channel,), rest, store.BASELINE, now, claimed_by=owner)
        period = sub.key
        if not new:  # nothing waits, or this channel was told of all of it already
            await store.REMINDERS.claim(
                db, (channel, store.BACKLOG, period), now, owner, state=store.EMPTY
            )
            return True
        if not await store.REMINDERS.claim(db, (channel, store.BACKLOG, period), now, owner):
            return False
        wait = duration(60 * (sub.wait_minutes or 0))
        longest = [(t, waited.total_seconds()) for t, _, waited in due[:BACKLOG_SHOWN]]
        text = self.messages.backlog_text(len(due), wait)
        blocks = self.messages.backlog_message(
            longest, total=len(due), wait=wait, filters=sub.filters, link=self.parts.link
        )
        key, tag = (channel, store.BACKLOG, period), reminder_tag(store.BACKLOG, period)
        try:
            await post_claimed(
                self.parts,
                store.REMINDERS,
                key,
                lambda: self.parts.poster.post(channel, text, blocks, tag=tag),
                log,
                "reminders summary",
                {"channel": channel, "ticket": store.BACKLOG},
            )
        except DeliveryFailed as exc:
            report.errors += 1
            await self.parts.outcome(sub, exc.describe())
            return False
        report.summaries += 1
        report.baselined += len(due)
        await self.parts.outcome(sub, f"posted one summary of the {len(due)} already waiting")
        return False
