"""The digest: every open ticket a channel cares about, in one message and its thread.

To fit Slack's limits whatever the backlog, the top tickets go in the channel message
and the rest in thread replies; past `MAX_MESSAGES` the last reply says how many more
and links to Mava. A scheduled digest claims its run key (subscription + fire time)
before posting, so a run is posted once even if the job fires twice or two leaders
overlap (store.ledger). `/mava digest` posts without one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

from sqlalchemy.exc import SQLAlchemyError

from mava_bridge.delivery.parts import DeliveryParts
from mava_bridge.delivery.ports import DeliveryFailed, Message
from mava_bridge.delivery.queries import digest_query
from mava_bridge.domain.filters import DEFAULT_DIGEST_FILTERS, Filters
from mava_bridge.mava.errors import MavaError, describe
from mava_bridge.mava.keyset import pages_by_created
from mava_bridge.mava.models import Ticket
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.store import deliveries

log = logging.getLogger(__name__)

MAX_MESSAGES: Final = 20  # channel message + replies (15 tickets each: 300 tickets)

Status = Literal["posted", "skipped_empty", "duplicate", "failed"]


@dataclass(frozen=True)
class DeliveryResult:
    """`retryable` failures may be tried again (Mava or Slack trouble), the others need
    someone to act."""

    channel_id: str
    status: Status
    ticket_count: int = 0
    message_ts: str | None = None
    replies: int = 0
    error: str | None = None  # a sentence fit for Slack
    retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def describe(self) -> str:
        plural = "s" if self.ticket_count != 1 else ""
        if self.status == "posted":
            return f"posted ({self.ticket_count} ticket{plural})" + (
                f"; {self.error}" if self.error else ""
            )
        if self.status == "skipped_empty":
            return "skipped: no tickets to report"
        if self.status == "duplicate":
            return "already posted for this time"
        return f"failed: {self.error or 'unknown error'}"


class DigestPreview(NamedTuple):
    tickets: list[Ticket]
    messages: list[Message]  # first the channel message, then the thread replies


def describe_filters(filters: Filters) -> str:
    """What a digest covers, e.g. "open unassigned tickets" (plain text)."""
    return "open " + filters.describe().removeprefix("all ")


class DigestService:
    # Messages one digest may take (at least 2: the channel message and one reply).
    max_messages: int = MAX_MESSAGES

    def __init__(self, parts: DeliveryParts) -> None:
        self.parts = parts

    @property
    def _message_limit(self) -> int:
        return max(2, self.max_messages)

    async def collect(self, filters: Filters | None = None) -> list[Ticket]:
        """Open tickets matching `filters` (default: unassigned), in digest order."""
        filters = filters or DEFAULT_DIGEST_FILTERS
        now = self.parts.clock()
        found: dict[str, Ticket] = {}
        for years_back in range(self.parts.settings.digest_max_years):
            empty = True
            async for page in pages_by_created(
                self.parts.mava, digest_query(filters, now, years_back)
            ):
                empty = empty and not page.tickets
                for ticket in page.tickets:
                    if filters.matches(ticket):
                        found.setdefault(ticket.id, ticket)
            if empty:
                break  # see delivery.queries for why the first empty year ends it
        return self.parts.renderer.sort_for_digest(list(found.values()))

    async def preview(self, channel_id: str | None = None) -> DigestPreview:
        """The digest this channel (or the default digest) would get now, unposted."""
        if channel_id is None:
            filters, zone = DEFAULT_DIGEST_FILTERS, self.parts.settings.digest_timezone
        else:
            filters, zone = await self.parts.subscriptions.digest_filters_for(channel_id)
        tickets = await self.collect(filters)
        return DigestPreview(tickets, self.render(tickets, filters, zone))

    def render(self, tickets: list[Ticket], filters: Filters, tz_name: str) -> list[Message]:
        # Drawn only as far as they are posted: 5,000 tickets would otherwise make
        # 5,000 items' blocks for the few hundred the message limit lets through.
        messages = self.parts.renderer.digest_messages(
            tickets,
            link=self.parts.link,
            now=self.parts.clock(),
            description=describe_filters(filters),
            tz_name=tz_name,
            max_messages=self._message_limit,
        )
        renderer = self.parts.renderer
        listed = len(renderer.sort_for_digest(tickets))
        if sum(len(renderer.listed_tickets(message)) for message in messages) >= listed:
            return messages
        kept = messages[: self._message_limit - 1]
        shown = sum(len(renderer.listed_tickets(message)) for message in kept)
        dashboard = str(self.parts.settings.mava_dashboard_url).rstrip("/")
        return [*kept, renderer.more_tickets(listed - shown, dashboard)]

    async def post(
        self,
        channel_id: str,
        filters: Filters | None = None,
        run_key: str | None = None,
        *,
        subscription: ActiveSubscription | None = None,
        tz_name: str | None = None,
    ) -> DeliveryResult:
        """Post the digest now. With `run_key` (scheduled runs) the run is claimed first
        and posted at most once, and an empty digest is skipped if DIGEST_SKIP_EMPTY.
        `filters` None: the channel's own. Never raises for Mava or Slack trouble."""
        channel_zone: str | None = None
        if filters is None:
            filters, channel_zone = await self.parts.subscriptions.digest_filters_for(channel_id)
        zone = (
            tz_name
            or (subscription.timezone if subscription else None)
            or channel_zone
            or self.parts.settings.digest_timezone
        )
        claim = await self.parts.claim_run(run_key, channel_id) if run_key is not None else None
        if run_key is not None and claim is None:
            log.info("digest run already taken", extra={"run_key": run_key})
            return DeliveryResult(channel_id, "duplicate")
        try:
            tickets = await self.collect(filters)
        except MavaError as exc:
            log.warning("digest: Mava search failed: %s", describe(exc))
            started = claim.message_ts if claim is not None else None
            result = DeliveryResult(
                channel_id, "failed", message_ts=started, error=exc.user_message, retryable=True
            )
        else:
            result = await self._deliver(channel_id, tickets, filters, zone, claim)
        if claim is not None:
            state = {"posted": deliveries.POSTED, "skipped_empty": deliveries.SKIPPED}
            await self.parts.finish_run(
                claim,
                state.get(result.status, deliveries.FAILED),
                result.message_ts,
                ticket_count=result.ticket_count,
            )
        if subscription is not None and result.status != "duplicate":
            await self.parts.outcome(subscription, result.describe())
        return result

    async def _deliver(
        self,
        channel_id: str,
        tickets: list[Ticket],
        filters: Filters,
        zone: str,
        claim: deliveries.DigestClaim | None,
    ) -> DeliveryResult:
        renderer = self.parts.renderer
        if claim is not None and claim.message_ts:
            ts = claim.message_ts
            # The channel message went out before its holder stopped: the tickets it
            # had not listed yet, as they are now, go in its thread.
            listed = list(claim.listed)
            rest = [ticket for ticket in tickets if ticket.id not in claim.listed]
            thread = renderer.digest_thread_messages(
                rest, link=self.parts.link, now=self.parts.clock()
            )[: self._message_limit - 1]
            count = len(listed) + len(rest)
            log.info(
                "digest: finishing an interrupted thread",
                extra={"channel": channel_id, "listed": len(listed), "rest": len(rest)},
            )
        else:
            if not tickets and claim is not None and self.parts.settings.digest_skip_empty:
                return DeliveryResult(channel_id, "skipped_empty")
            top, *thread = self.render(tickets, filters, zone)
            text = renderer.digest_text(len(tickets), describe_filters(filters))
            count = len(tickets)
            try:
                ts = await self.parts.poster.post(channel_id, text, top)
            except DeliveryFailed as failure:
                log.warning(
                    "digest not posted", extra={"channel": channel_id, **failure.log_fields()}
                )
                return DeliveryResult(
                    channel_id,
                    "failed",
                    ticket_count=count,
                    error=failure.describe(),
                    retryable=failure.retryable,
                )
            listed = renderer.listed_tickets(top)
            self.parts.metrics.digest_items_delivered.inc(len(listed))
            await self._progress(claim, ts, listed)
        replies, problem = await self._post_thread(channel_id, ts, thread, claim, listed)
        return DeliveryResult(
            channel_id, "posted", count, message_ts=ts, replies=replies, error=problem
        )

    async def _post_thread(
        self,
        channel_id: str,
        ts: str,
        messages: list[Message],
        claim: deliveries.DigestClaim | None,
        listed: list[str],
    ) -> tuple[int, str | None]:
        """(replies posted, what went wrong)."""
        replies = 0
        for part, blocks in enumerate(messages, start=2):
            try:
                await self.parts.poster.post(
                    channel_id,
                    self.parts.renderer.digest_thread_text(part, len(messages) + 1),
                    blocks,
                    thread_ts=ts,
                )
            except DeliveryFailed as failure:
                # The digest is out; posting it again would repeat the top. Say so.
                missing = len(messages) - replies
                problem = f"{missing} thread repl{'y' if missing == 1 else 'ies'} missing: "
                log.warning(
                    "digest thread incomplete",
                    extra={
                        "channel": channel_id,
                        "run_key": claim.run_key if claim else None,
                        "missing": missing,
                        **failure.log_fields(),
                    },
                )
                return replies, problem + failure.describe()
            replies += 1
            posted = self.parts.renderer.listed_tickets(blocks)
            self.parts.metrics.digest_items_delivered.inc(len(posted))
            listed = [*listed, *posted]
            await self._progress(claim, ts, listed)
        return replies, None

    async def _progress(
        self, claim: deliveries.DigestClaim | None, ts: str, listed: list[str]
    ) -> None:
        if claim is None:
            return  # `/mava digest` now: not a scheduled run, nothing to resume
        try:
            await deliveries.record_digest_progress(self.parts.db, claim, ts, listed)
        except SQLAlchemyError:
            log.exception("digest progress not recorded", extra={"run_key": claim.run_key})
