"""New-ticket alerts: poll Mava, decide what is new for each channel, post it once.

Mava has no priority filter, so each poll runs one search per distinct filter, shared
by every channel using it. With a priority threshold: open tickets of the last
`ALERT_LOOKBACK` by priority (mava.keyset); a matching ticket the channel has not
had is "new" if created since the watermark (less `POLL_OVERLAP`), else "raised".
Without one: open tickets created since the watermark less `POLL_OVERLAP`.

A subscription's first poll records what already matches as `baseline` (never posted),
so installing the bot does not flood a channel; tickets created after a subscription
made from Slack are alerted even then. The watermark moves only after a poll that
reached Mava, never past a ticket not yet posted. A ticket is posted at most once per
channel, whichever subscription matched it (store.ledger).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.delivery.in_doubt import alert_tag, post_card, settle
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import DeliveryFailed
from mava_bridge.delivery.queries import (
    ALERT_LOOKBACK,
    CLOCK_SKEW,
    POLL_OVERLAP,
    alert_query,
)
from mava_bridge.domain.filters import Filters
from mava_bridge.domain.tickets import OPEN_STATUSES
from mava_bridge.mava.errors import MavaError, describe
from mava_bridge.mava.keyset import at_or_above, pages_by_created
from mava_bridge.mava.models import Priority, SortBy, Ticket
from mava_bridge.mava.query import TicketQuery
from mava_bridge.mava.ratelimit import background
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.store import deliveries, follows
from mava_bridge.store.ledger import load_watermarks, save_watermark

log = logging.getLogger(__name__)

NEW = "new"
RAISED = "raised"


@dataclass
class PollReport:
    """`queries` counts Mava search requests (pages)."""

    searches: int = 0  # distinct filters searched
    queries: int = 0
    alerted: int = 0
    baselined: int = 0
    skipped: int = 0  # claimed by another process at the same time
    recovered: int = 0  # a dead leader's alert found in Slack: recorded, not posted again
    errors: int = 0
    mava_errors: int = 0
    slack_errors: int = 0


def reason_text(reason: str, ticket: Ticket, filters: Filters) -> str:
    """The alert's first line, e.g. "New unassigned High-priority ticket"."""
    level = ticket.priority_level
    if reason == RAISED:
        return f"Ticket raised to {level.label} priority" if level else "Ticket now matches"
    words = ["New"]
    if filters.unassigned_only:
        words.append("unassigned")
    if level is not None:
        words.append(f"{level.label}-priority")
    words.append("ticket")
    return " ".join(words)


class AlertPoller:
    def __init__(self, parts: DeliveryParts) -> None:
        self.parts = parts

    async def release_stale_claims(self) -> int:
        released = await deliveries.ALERTS.release_stale(self.parts.db, self.parts.clock())
        if released:
            log.warning("released stale alert claims", extra={"count": released})
        return released

    async def poll_once(self) -> PollReport:
        """Mava errors are reported, not raised: that search is retried next poll."""
        report = PollReport()
        now = self.parts.clock()
        with background():
            await self.release_stale_claims()
            subs = await self.parts.subscriptions.active("alerts")
            if not subs:
                return report
            groups: dict[TicketQuery, list[ActiveSubscription]] = {}
            for sub in subs:
                groups.setdefault(alert_query(sub.filters), []).append(sub)
            marks = await load_watermarks(self.parts.db, [s.watermark_key for s in subs])
            for shape, members in groups.items():
                report.searches += 1
                try:
                    tickets = await self._search(shape, members, marks, now, report)
                except MavaError as exc:
                    report.errors += 1
                    report.mava_errors += 1
                    log.warning(
                        "alert poll: Mava search failed: %s; retrying next poll",
                        describe(exc),
                        extra={"channels": len(members)},
                    )
                    continue
                for sub in members:
                    await self._deliver(sub, tickets, marks.get(sub.watermark_key), now, report)
        if report.alerted or report.errors:
            log.info("alert poll", extra={"report": report})
        return report

    @staticmethod
    def _since(sub: ActiveSubscription, watermark: datetime | None, now: datetime) -> datetime:
        base = watermark or sub.created_at or now
        return max(min(base, now) - POLL_OVERLAP, now - ALERT_LOOKBACK)

    async def _search(
        self,
        shape: TicketQuery,
        members: list[ActiveSubscription],
        marks: dict[str, datetime],
        now: datetime,
        report: PollReport,
    ) -> list[Ticket]:
        # Mava's order and churn between pages must not lose a ticket (mava.keyset).
        found: dict[str, Ticket] = {}
        if shape.sort_by == SortBy.PRIORITY:
            threshold = min(int(m.filters.min_priority or Priority.LOW) for m in members)
            query = shape.with_window(now - ALERT_LOOKBACK, now + CLOCK_SKEW)
            pages = at_or_above(self.parts.mava, query, threshold)
        else:
            since = min(self._since(m, marks.get(m.watermark_key), now) for m in members)
            pages = pages_by_created(self.parts.mava, shape.with_window(since, now + CLOCK_SKEW))
        async for page in pages:
            report.queries += 1
            for ticket in page.tickets:
                found.setdefault(ticket.id, ticket)
        return list(found.values())

    async def _deliver(
        self,
        sub: ActiveSubscription,
        tickets: list[Ticket],
        watermark: datetime | None,
        now: datetime,
        report: PollReport,
    ) -> None:
        by_priority = sub.filters.min_priority is not None
        since = self._since(sub, watermark, now)
        matching = sorted(
            (
                t
                for t in tickets
                if t.status in OPEN_STATUSES
                and sub.filters.matches(t)
                and (by_priority or t.created_at >= since)
            ),
            key=lambda t: (t.created_at, t.id),
        )
        states = await deliveries.ALERTS.states(
            self.parts.db, (sub.channel_id,), (t.id for t in matching)
        )
        await self._settle(sub, matching, states, report)
        first_poll = watermark is None
        waiting: list[datetime] = []  # creation times of tickets not yet posted
        baseline: list[str] = []
        to_post: list[tuple[Ticket, str]] = []
        for ticket in matching:
            state = states.get(ticket.id)
            if state in (deliveries.POSTED, deliveries.BASELINE):
                continue
            if state is not None:  # claimed: another process is posting it right now
                report.skipped += 1
                waiting.append(ticket.created_at)
                continue
            if first_poll and not (sub.created_at and ticket.created_at > sub.created_at):
                baseline.append(ticket.id)
                continue
            fresh = watermark is None or ticket.created_at >= watermark - POLL_OVERLAP
            to_post.append((ticket, NEW if fresh else RAISED))
        if baseline:
            base, scope = deliveries.BASELINE, (sub.channel_id,)  # the state and the reason
            await deliveries.ALERTS.record(self.parts.db, scope, baseline, base, now, reason=base)
            report.baselined += len(baseline)

        posted, failure = 0, None
        for index, (ticket, reason) in enumerate(to_post):
            failure_here = await self._post_one(sub, ticket, reason, now, report)
            if failure_here is None:
                posted += 1
                continue
            failure = failure_here
            waiting.append(ticket.created_at)
            if failure.retryable or failure.channel_unusable:
                # The rest would fail the same way: leave them for the next poll.
                waiting.extend(t.created_at for t, _ in to_post[index + 1 :])
                break

        if failure is not None:
            await self.parts.outcome(sub, failure.describe())
        elif posted:
            await self.parts.outcome(sub, f"posted {posted} alert{'s' if posted != 1 else ''}")
        seen_until = min([now, *waiting])
        if watermark is not None:
            seen_until = max(watermark, seen_until)
        await save_watermark(self.parts.db, sub.watermark_key, seen_until, now)

    async def _post_one(
        self,
        sub: ActiveSubscription,
        ticket: Ticket,
        reason: str,
        now: datetime,
        report: PollReport,
    ) -> DeliveryFailed | None:
        """Claim, post, mark: the refusal, else None (posted, or held elsewhere)."""
        said = reason_text(reason, ticket, sub.filters)
        try:
            ts = await post_card(
                self.parts,
                deliveries.ALERTS,
                (sub.channel_id, ticket.id),
                ticket,
                said,
                alert_tag(ticket.id),
                log,
                "alert",
                now,
                reason=reason,
            )
        except DeliveryFailed as failure:  # released for the next poll
            report.errors += 1
            report.slack_errors += 1
            return failure
        if ts is None:
            report.skipped += 1  # claimed elsewhere between our read and our claim
            return None
        await self._follow(sub.channel_id, ticket, ts, said)
        report.alerted += 1
        self.parts.metrics.alerts_delivered.inc()
        return None

    async def _settle(
        self,
        sub: ActiveSubscription,
        tickets: list[Ticket],
        states: dict[str, str],
        report: PollReport,
    ) -> None:
        """Claims a take-over left in doubt: found in the channel, recorded and followed;
        else dropped (from `states` too), to be posted again by this poll."""
        claimed = {t.id: t for t in tickets if states.get(t.id) == deliveries.CLAIMED}
        channel = sub.channel_id
        found = await settle(
            self.parts,
            deliveries.ALERTS,
            (channel,),
            claimed,
            alert_tag,
            channel,
            "reason",
            states=states,
        )
        for ticket_id, (ts, row) in found.items():
            ticket = claimed[ticket_id]
            await self._follow(channel, ticket, ts, reason_text(row.reason, ticket, sub.filters))
            report.recovered += 1

    async def _follow(self, channel: str, ticket: Ticket, ts: str, said: str) -> None:
        try:
            await follows.follow(
                self.parts.db,
                ticket_id=ticket.id,
                channel_id=channel,
                thread_ts=ts,
                ticket_created_at=ticket.created_at,
                followed_by=follows.BY_ALERT,
                now=self.parts.clock(),
                headline=said,
            )
        except (SQLAlchemyError, follows.ThreadTaken):
            log.exception("alert posted but its ticket not followed", extra={"ticket": ticket.id})
