"""SLA warnings and breaches: `/mava subscribe breaches [high|medium] [unassigned]
[origin …]` posts each matching open ticket once when 80% of a target is used (a
warning) and once when all of it is (a breach); the assignee gets the warning as a DM.

It reads the shared open board (no Mava read of its own), the policy (services.sla)
and each ticket's clocks (domain.sla). A clock is named by its target and start, so a
new waiting period is warned of afresh; one first seen past its target is told once,
as a breach. A subscription's first look records what is past a level already as its
baseline, never posted (a later level of the same clock is). Claim, post, mark per
(channel or member, ticket, clock, level) on store.sla's ledger.

Pauses: Mava gives no status history, so the poll records when it first sees a ticket
Pending or Waiting (or gone from the board: Resolved) and Open again (store.sla): a
pause is known to within one board read, one that began and ended between two reads
is not seen, nor one while no process led.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from mava_bridge.delivery.assignment_dms import AssignmentDms, LookupFailed
from mava_bridge.delivery.in_doubt import post_card, settle, sla_tag
from mava_bridge.delivery.parts import DeliveryParts, PostCounts
from mava_bridge.delivery.ports import DeliveryFailed, SlackUnsure
from mava_bridge.domain.sla import BREACH, WARNING, Clock, Due, Policy, clocks, due
from mava_bridge.domain.tickets import Status
from mava_bridge.domain.wording import duration
from mava_bridge.mava.errors import MavaError
from mava_bridge.mava.models import Ticket
from mava_bridge.mava.ratelimit import background
from mava_bridge.services.open_board import OpenBoard
from mava_bridge.services.sla import current_policy
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.store import assignments
from mava_bridge.store import sla as store

log = logging.getLogger(__name__)

DM: Final = "dm"  # the level of an assignee's warning DM in the ledger
PAUSED: Final = (Status.PENDING, Status.WAITING)
KEPT: Final = timedelta(days=365)  # what was told and paused, remembered this long
YIELD_EVERY: Final = 200  # tickets whose clocks are computed between two yields

Found = tuple[Ticket, Due]


@dataclass
class BreachReport(PostCounts):
    due: int = 0  # (ticket, clock) pairs past a level, before filters
    dms: int = 0


def sla_reason(found: Due) -> str:
    """The post's first line: "SLA warning: 80% of the 1 h first response target used"."""
    target = f"{duration(found.target_seconds)} {found.clock.target.replace('-', ' ')} target"
    if found.level == BREACH:
        return f"SLA breached: the {target} was missed"
    return f"SLA warning: 80% of the {target} used"


class Breaches:
    def __init__(self, parts: DeliveryParts, board: OpenBoard, dms: AssignmentDms) -> None:
        self.parts = parts
        self.board = board
        self.dms = dms  # who an agent is in Slack, and whether they may get a ticket
        self._on_board: set[str] | None = None  # the last read's tickets (None: none yet)
        self._purged: datetime | None = None

    async def poll_once(self, *, max_age: float | None = None) -> BreachReport:
        report = BreachReport()
        subs = await self.parts.subscriptions.active("breaches")
        report.subscriptions = len(subs)
        if not subs:
            return report
        policy = await current_policy(self.parts.db)
        if not policy.targets:
            return report  # nothing promised: no board read
        with background():
            snapshot = await self.board.snapshot(max_age=max_age)
        await self._track_pauses(snapshot.tickets, snapshot.read_at)
        now = self.parts.clock()
        found = await self._due(snapshot.tickets, policy, now)
        report.due = len(found)
        warned: dict[store.Item, Found] = {}
        for sub in subs:
            mine = [f for f in found if sub.filters.matches(f[0])]
            await self._post(sub, mine, now, report)
            # The assignee hears of a warning a channel was told of (not a baseline).
            warnings = {(t.id, d.clock.key, d.level): (t, d) for t, d in mine if d.level == WARNING}
            for item in await store.posted(self.parts.db, sub.channel_id, warnings):
                warned[item] = warnings[item]
        await self._warn_assignees(list(warned.values()), now, report)
        await self._purge(now)
        if report.posted or report.dms or report.errors:
            log.info("sla breaches", extra={"report": report})
        return report

    async def take_over(self) -> int:
        return await store.POSTS.take_over(self.parts.db, self.parts.owner or "")

    async def _due(self, tickets: list[Ticket], policy: Policy, now: datetime) -> list[Found]:
        """Each ticket's clocks past a level. Pauses only put a deadline later, so they
        are read only for the clocks past one without them."""
        near: list[tuple[Ticket, Clock, int, Due]] = []
        for index, ticket in enumerate(tickets):
            if index % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # thousands of clocks: let acks through meanwhile
            for clock in clocks(ticket):
                target = policy.target(ticket.priority_level, clock.target)
                level = due(clock, target, policy.hours, now) if target else None
                if target and level is not None:
                    near.append((ticket, clock, target, level))
        pauses = await store.pauses_of(self.parts.db, [t.id for t, _, _, _ in near])
        found = []
        for ticket, clock, target, level in near:
            if ticket.id in pauses:
                level = due(clock, target, policy.hours, now, pauses[ticket.id])
            if level is not None:
                found.append((ticket, level))
        return found

    async def _track_pauses(self, tickets: list[Ticket], read_at: datetime) -> None:
        """Pending/Waiting, or gone from the board since the last read (Resolved), begins
        a pause at this read; Open on the board again ends it."""
        db, board = self.parts.db, {t.id: t for t in tickets}
        paused = {t.id for t in tickets if t.status in PAUSED}
        if self._on_board is not None:
            paused |= self._on_board - board.keys()
        lasting = await store.lasting_pauses(db, [*board, *paused])
        await store.begin_pauses(db, paused - lasting, read_at)
        await store.end_pauses(db, (lasting - paused) & board.keys(), read_at)
        self._on_board = set(board)

    async def _post(
        self, sub: ActiveSubscription, found: list[Found], now: datetime, report: BreachReport
    ) -> None:
        channel, db = sub.channel_id, self.parts.db
        await self._settle(channel, report, dm=False)
        items = {(t.id, d.clock.key, d.level): (t, d) for t, d in found}
        if not await store.first_looked(db, channel, sub.key):
            await store.record_baseline(db, channel, sub.key, items, now, self.parts.owner)
            report.baselined += len(items)
            return
        done = await store.POSTS.known(db, (channel,), items)
        todo = [(item, f) for item, f in items.items() if item not in done]
        todo.sort(key=lambda entry: entry[1][1].at)  # longest past its level first

        async def post(entry: tuple[store.Item, Found]) -> str | None:
            item, (ticket, level) = entry
            return await self._send(channel, item, ticket, sla_reason(level), now, dm=False)

        await self.parts.post_batch(
            sub, todo, post, report, lambda n: f"posted {n} SLA warning(s) or breach(es)"
        )

    async def _send(
        self, where: str, item: store.Item, ticket: Ticket, reason: str, now: datetime, *, dm: bool
    ) -> str | None:
        tag = sla_tag(where, item, dm=dm)
        key = (where, *item)
        return await post_card(
            self.parts, store.POSTS, key, ticket, reason, tag, log, "sla post", now
        )

    async def _warn_assignees(
        self, warned: list[Found], now: datetime, report: BreachReport
    ) -> None:
        for ticket, level in warned:
            if ticket.assigned_to is None:
                continue
            try:
                user = await self.dms.member_for(ticket.assigned_to.id)
                if user is None or not await assignments.notify_on(self.parts.db, user):
                    continue
                if self.dms.may_receive is not None and not await self.dms.may_receive(user):
                    continue
                item = (ticket.id, level.clock.key, DM)
                if item in await store.POSTS.known(self.parts.db, (user,), [item]):
                    continue
                await self._settle(user, report, dm=True)
                reason = sla_reason(level)
                report.dms += await self._send(user, item, ticket, reason, now, dm=True) is not None
            except (DeliveryFailed, MavaError, LookupFailed, SlackUnsure) as exc:
                report.errors += 1
                log.warning(
                    "sla warning DM waits for the next poll",
                    extra={"ticket": ticket.id, "error": type(exc).__name__},
                )

    async def _settle(self, where: str, report: BreachReport, *, dm: bool) -> None:
        found = await settle(
            self.parts, store.POSTS, (where,), None, lambda k: sla_tag(where, k, dm=dm), where
        )
        report.recovered += len(found)

    async def _purge(self, now: datetime) -> None:
        """Once a day."""
        if self._purged is not None and now - self._purged < timedelta(days=1):
            return
        self._purged = now
        await store.purge_posts(self.parts.db, now - KEPT)
        await store.purge_pauses(self.parts.db, now - KEPT)
