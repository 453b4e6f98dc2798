"""Live ticket threads: keep each followed ticket's Slack thread in step with Mava.

One sync (the leader's job, paced by delivery.pacing within a third of the budget)
makes ONE search of open tickets with their messages over the followed tickets'
creation times, stopping once every followed ticket is found. A followed ticket it
did not return is looked up once by id: closed, its thread says so and a grace of
`THREAD_RESOLVED_GRACE_HOURS` starts, after which the follow ends; seen open again,
"Reopened".

For each ticket read, a change of status, priority, category or assignee updates the
card in place and adds one "what changed" line; then every new customer or agent
message is posted in order (system messages only narrate those changes). Each is
posted once (store.deliveries on the ledger, delivery.in_doubt), never what was there
when the follow began (`baseline`) nor what the bridge itself sent (`ours`:
store.writes). A post Slack refuses for now stops that thread for this sync,
so order is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.delivery.in_doubt import post_claimed, settle, thread_tag
from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import Chat, DeliveryFailed, Snapshot, ThreadRenderer
from mava_bridge.delivery.ports import Message as MessageBlocks
from mava_bridge.delivery.thread_keys import (
    SEEN,
    change_key,
    message_key,
    search_windows,
    seen_marker,
    snapshot,
)
from mava_bridge.domain.tickets import OPEN_STATUSES
from mava_bridge.mava.errors import MavaError, TicketNotFound, describe
from mava_bridge.mava.keyset import pages_by_created
from mava_bridge.mava.lookup import EXACT, Counting, find_ticket
from mava_bridge.mava.models import SenderType, Status, Ticket
from mava_bridge.mava.query import TicketQuery
from mava_bridge.mava.ratelimit import background
from mava_bridge.store import deliveries as items
from mava_bridge.store import follows as store
from mava_bridge.store.follows import Follow
from mava_bridge.store.writes import bridge_sent

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """`pages` counts Mava requests (searches and look-ups)."""

    follows: int = 0
    pages: int = 0
    mirrored: int = 0
    changes: int = 0
    resolved: int = 0
    reopened: int = 0
    ended: int = 0
    skipped: int = 0  # claimed by another process: left for the next sync
    recovered: int = 0  # a dead holder's post found in the thread: recorded, not reposted
    mava_errors: int = 0
    slack_errors: int = 0


class _Stop(Exception):
    """This thread waits for the next sync (Slack refused, or another process posts)."""


class ThreadSync:
    def __init__(self, parts: DeliveryParts, poster: Chat, renderer: ThreadRenderer) -> None:
        self.parts = parts
        self.poster = poster
        self.renderer = renderer
        self.grace = timedelta(hours=parts.settings.thread_resolved_grace_hours)
        self.hours = round(self.grace.total_seconds() / 3600)  # as the thread says it

    async def take_over(self) -> int:
        if self.parts.owner is None:
            return 0
        taken = await items.ITEMS.take_over(self.parts.db, self.parts.owner)
        if taken:
            log.warning("took over thread claims a previous process left", extra={"count": taken})
        return taken

    async def sync_once(
        self, only: frozenset[str] | None = None, *, read: dict[str, Ticket] | None = None
    ) -> SyncReport:
        """`only`: just those tickets when any is followed (a nudge), else all followed;
        given `read` (those tickets just read by id), no search, only those."""
        report = SyncReport()
        now = self.parts.clock()
        with background():
            await items.ITEMS.release_stale(self.parts.db, now)
            followed = await store.active_follows(self.parts.db)
            picked = [f for f in followed if only is None or f.ticket_id in only]
            followed = picked if picked or read is not None else followed
            report.follows = len(followed)
            if not followed:
                return report
            try:
                found = read if read is not None else await self._search(followed, report)
            except MavaError as exc:
                report.mava_errors += 1
                log.warning(
                    "thread sync: Mava search failed: %s; retrying next sync", describe(exc)
                )
                return report
            for follow in followed:
                try:
                    await self._sync_follow(follow, found.get(follow.ticket_id), now, report)
                except _Stop:
                    continue
                except MavaError as exc:
                    report.mava_errors += 1
                    log.warning(
                        "thread sync: Mava look-up failed: %s",
                        describe(exc),
                        extra={"ticket": follow.ticket_id},
                    )
                except SQLAlchemyError:
                    log.exception("thread sync: database error", extra={"ticket": follow.ticket_id})
        self.parts.metrics.thread_sync_pages.inc(report.pages)
        if report.mirrored or report.changes or report.mava_errors or report.slack_errors:
            log.info("thread sync", extra={"report": report})
        return report

    async def _search(self, followed: list[Follow], report: SyncReport) -> dict[str, Ticket]:
        dated = {f.ticket_id: f.ticket_created_at for f in followed if f.ticket_created_at}
        found: dict[str, Ticket] = {}
        if not dated:
            return found
        shape = TicketQuery(
            start=min(dated.values()) - EXACT,
            end=max(dated.values()) + EXACT,
            statuses=OPEN_STATUSES,
            include_messages=True,
        )
        wanted = set(dated)
        for start, end in search_windows(shape.start, shape.end):
            async for page in pages_by_created(self.parts.mava, shape.with_window(start, end)):
                report.pages += 1
                found.update((t.id, t) for t in page.tickets if t.id in wanted)
                if wanted <= found.keys():
                    return found  # every followed open ticket is in: no need to read on
        return found

    async def _look_up(self, follow: Follow, report: SyncReport) -> Ticket:
        counted = Counting(self.parts.mava)
        try:
            ticket = await find_ticket(counted, follow.ticket_id, known=follow.ticket_created_at)
        finally:
            report.pages += counted.requests
        if follow.ticket_created_at is None:
            await store.save_sync(self.parts.db, follow.id, ticket_created_at=ticket.created_at)
        return ticket

    async def _sync_follow(
        self, follow: Follow, ticket: Ticket | None, now: datetime, report: SyncReport
    ) -> None:
        if ticket is None:
            if follow.resolved_seen_at is not None:
                if now - follow.resolved_seen_at >= self.grace:
                    await self._end(follow, now, report)
                return  # known resolved, within the grace: nothing to read
            try:
                ticket = await self._look_up(follow, report)
            except TicketNotFound:
                # Deleted, or beyond what a look-up searches: looked up once, not every
                # sync; it ends after the grace unless the search sees it open again.
                line = "Mava no longer finds this ticket: it is no longer read by id."
                await self._notice(follow, f"missing:{now.isoformat()}", line, now, report)
                await store.save_sync(self.parts.db, follow.id, resolved_seen_at=now)
                return
        open_now = ticket.status in OPEN_STATUSES
        await self._mirror(follow, ticket, now, report)
        if open_now and follow.resolved_seen_at is not None:
            line = ":arrows_counterclockwise: Reopened in Mava: following again."
            await self._notice(
                follow, f"reopened:{follow.resolved_seen_at.isoformat()}", line, now, report
            )
            await store.save_sync(self.parts.db, follow.id, resolved_seen_at=None)
            report.reopened += 1
        elif not open_now and follow.resolved_seen_at is None:
            words = "Resolved" if ticket.status == Status.RESOLVED else f"Now {ticket.status}"
            line = f"{words} in Mava. Still following for {self.hours} h in case it reopens."
            when = ticket.updated_at or now
            await self._notice(follow, f"resolved:{when.isoformat()}", line, now, report)
            await store.save_sync(self.parts.db, follow.id, resolved_seen_at=now)
            report.resolved += 1

    async def _end(self, follow: Follow, now: datetime, report: SyncReport) -> None:
        assert follow.resolved_seen_at is not None
        line = (
            f"No longer following: resolved for {self.hours} h. "
            f"/mava follow {follow.ticket_id} to follow again."
        )
        await self._notice(
            follow, f"ended:{follow.resolved_seen_at.isoformat()}", line, now, report
        )
        if await store.deactivate(self.parts.db, follow.id):
            report.ended += 1

    async def _notice(
        self, follow: Follow, key: str, line: str, now: datetime, report: SyncReport
    ) -> None:
        await self._post_item(follow, key, line, self.renderer.notice(line), now, report)

    async def _mirror(
        self, follow: Follow, ticket: Ticket, now: datetime, report: SyncReport
    ) -> None:
        first = follow.synced_at is None
        before: Snapshot = dict(follow.snapshot or {})
        after = snapshot(ticket)
        changed = not first and any(before.get(k) != v for k, v in after.items())
        seen = seen_marker(ticket)
        if not (first or changed) and before.get(SEEN) == seen:
            return  # no change and no new message: no database work at all
        headline = before.get(store.HEADLINE)
        if headline:
            after[store.HEADLINE] = headline
        # An alert's card gains the follow line and Unfollow; other cards are drawn
        # followed already, and updates are rate-limited: only a change redraws them.
        if changed or (first and follow.followed_by == store.BY_ALERT):
            await self._update_card(follow, ticket, headline, now, report)
        if changed:
            text, blocks = self.renderer.change_message(before, after)
            await self._post_item(
                follow, change_key(before, after, ticket), text, blocks, now, report
            )
            report.changes += 1
            await store.save_sync(self.parts.db, follow.id, snapshot={**after, SEEN: ""})
        await self._messages(follow, ticket, first, now, report)
        # Only once every message is in: a sync stopped half-way reads them again.
        await store.save_sync(
            self.parts.db,
            follow.id,
            snapshot={**after, SEEN: seen},
            synced_at=now if first else None,
        )

    async def _update_card(
        self,
        follow: Follow,
        ticket: Ticket,
        headline: str | None,
        now: datetime,
        report: SyncReport,
    ) -> None:
        blocks = self.renderer.card(ticket, link=self.parts.link, now=now, headline=headline)
        try:
            await self.poster.update(
                follow.channel_id, follow.thread_ts, self.renderer.card_text(ticket), blocks
            )
        except DeliveryFailed as failure:
            report.slack_errors += 1
            log.warning(
                "followed ticket's card not updated",
                extra={"channel": follow.channel_id, "ticket": ticket.id, **failure.log_fields()},
            )
            if failure.retryable:
                raise _Stop from failure
            # Gone for good (deleted, too old to edit): the thread is still worth keeping.

    async def _messages(
        self, follow: Follow, ticket: Ticket, first: bool, now: datetime, report: SyncReport
    ) -> None:
        # Mava's system messages narrate the changes the card and the change line
        # already show ("Status changed from Open to Pending"): mirroring them too would
        # say each change twice. People's words are what the thread carries.
        messages = [m for m in ticket.messages or [] if m.sender_type != SenderType.SYSTEM]
        keyed = [(message_key(m), m) for m in messages]
        known = await items.ITEMS.states(self.parts.db, (follow.id,), (k for k, _ in keyed))
        await self._settle(follow, known, report)
        # Claimed ones stay in line: posting past them would break the thread's order.
        fresh = [(k, m) for k, m in keyed if known.get(k, items.CLAIMED) == items.CLAIMED]
        if first:
            began = follow.followed_at or now
            old = {
                k
                for k, m in fresh
                if k not in known and (m.created_at is None or m.created_at <= began)
            }
            await items.ITEMS.record(self.parts.db, (follow.id,), old, items.BASELINE, now)
            fresh = [(k, m) for k, m in fresh if k not in old]
        if not fresh:
            return
        # The bridge writes as an agent: a customer's message is never its own echo, even
        # with the same words.
        unseen = [
            (k, m.content, m.created_at)
            for k, m in fresh
            if k not in known and m.sender_type != SenderType.CUSTOMER
        ]
        ours = await bridge_sent(self.parts.db, ticket.id, unseen)
        if ours:
            await items.ITEMS.record(self.parts.db, (follow.id,), ours, items.OURS, now)
        link = self.parts.link(ticket.id)
        for key, message in fresh:
            if key in ours:
                continue
            if key in known:  # claimed by another process (or one that died): wait for it
                report.skipped += 1
                raise _Stop
            text, blocks = self.renderer.message(message, link=link)
            if await self._post_item(follow, key, text, blocks, now, report):
                report.mirrored += 1
                self.parts.metrics.thread_messages_mirrored.inc()

    async def _post_item(
        self,
        follow: Follow,
        key: str,
        text: str,
        blocks: MessageBlocks,
        now: datetime,
        report: SyncReport,
    ) -> bool:
        """True if this call posted it; raises `_Stop` when the thread must wait."""
        db, owner = self.parts.db, self.parts.owner
        if not await items.ITEMS.claim(db, (follow.id, key), now, owner):
            states = await items.ITEMS.states(db, (follow.id,), [key])
            await self._settle(follow, states, report)
            # Still there: done before, or held by a live process. Dropped: claimed again.
            again = key not in states and await items.ITEMS.claim(db, (follow.id, key), now, owner)
            if not again and states.get(key, items.CLAIMED) == items.CLAIMED:
                report.skipped += 1
                raise _Stop  # another process is posting it right now
            if not again:
                return False  # posted (or skipped) before
        try:
            await post_claimed(
                self.parts,
                items.ITEMS,
                (follow.id, key),
                lambda: self.poster.post(
                    follow.channel_id,
                    text,
                    blocks,
                    thread_ts=follow.thread_ts,
                    tag=thread_tag(follow.id, key, follow.ticket_id),
                ),
                log,
                "thread item",
                {"channel": follow.channel_id, "ticket": follow.ticket_id},
                refused=items.REFUSED,  # never postable, even as text: skipped
            )
        except DeliveryFailed as failure:
            report.slack_errors += 1
            if failure.retryable or failure.channel_unusable:
                raise _Stop from failure
            return False
        return True

    async def _settle(self, follow: Follow, known: dict[str, str], report: SyncReport) -> None:
        found = await settle(
            self.parts,
            items.ITEMS,
            (follow.id,),
            [key for key, state in known.items() if state == items.CLAIMED],
            lambda key: thread_tag(follow.id, key, follow.ticket_id),
            follow.channel_id,
            thread_ts=follow.thread_ts,
            states=known,
        )
        report.recovered += len(found)
