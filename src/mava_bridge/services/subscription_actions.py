"""What people do to a channel's digests and alerts: subscribe, unsubscribe, digest now.

Each succeeds with an audited `Outcome`, or raises `ServiceError` with the reason
(nothing changed, nothing audited). A category filter is stored by the name Mava gives
it (`match_category`: any case, a unique prefix), so it can match.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.schedule import Schedule
from mava_bridge.domain.wording import duration
from mava_bridge.services.outcome import Actor, Auditor, Outcome, ServiceError
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.services.tickets import TicketService, match_category
from mava_bridge.store.tables import Subscription

# A subscription belongs to the channel the command came from; without one, say so.
NO_CHANNEL = (
    "Digests and alerts belong to a channel: run this command in the channel that should "
    "get them (invite the bot there first)."
)


class DigestResult(Protocol):
    @property
    def ok(self) -> bool: ...
    def describe(self) -> str: ...


class DigestPoster(Protocol):
    """Posts a channel's digest now (delivery's digest service)."""

    async def post(self, channel_id: str) -> DigestResult: ...


class SubscriptionActions:
    def __init__(
        self,
        subscriptions: SubscriptionService,
        digests: DigestPoster,
        auditor: Auditor,
        tickets: TicketService,
    ) -> None:
        self.subscriptions = subscriptions
        self._digests = digests
        self._auditor = auditor
        self._tickets = tickets

    async def _resolved(self, filters: Filters) -> Filters:
        """`filters` with each category named as Mava names it (one fresh read)."""
        if not filters.categories:
            return filters
        active = await self._tickets.categories(fresh=True)
        names = (match_category(name, active).name for name in filters.categories)
        return replace(filters, categories=tuple(dict.fromkeys(names)))

    async def subscribe_digest(self, actor: Actor, schedule: Schedule, filters: Filters) -> Outcome:
        channel_id = _channel(actor)
        filters = await self._resolved(filters)
        subs = self.subscriptions
        row = await subs.add("digest", channel_id, filters, actor.user_id, schedule=schedule)
        sentence = (
            f"this channel gets a digest {schedule.describe()} ({row.timezone}) of "
            f"{filters.describe()}."
        )
        return await self._subscribed(actor, row, f"digest #{row.id}: {schedule.cron}", sentence)

    async def subscribe_alerts(self, actor: Actor, filters: Filters) -> Outcome:
        channel_id = _channel(actor)
        filters = await self._resolved(filters)
        row = await self.subscriptions.add("alerts", channel_id, filters, actor.user_id)
        sentence = f"this channel gets alerts for new {filters.describe()}."
        summary = f"alerts #{row.id}: {filters.describe()}"
        return await self._subscribed(actor, row, summary, sentence)

    async def subscribe_reminders(
        self, actor: Actor, wait_minutes: int, filters: Filters
    ) -> Outcome:
        channel_id = _channel(actor)
        filters = await self._resolved(filters)
        subs = self.subscriptions
        row = await subs.add(
            "reminders", channel_id, filters, actor.user_id, wait_minutes=wait_minutes
        )
        wait = duration(60 * wait_minutes)
        sentence = (
            f"this channel gets a reminder for {filters.describe()} whose customer "
            f"has waited more than {wait} for an agent."
        )
        summary = f"reminders #{row.id}: after {wait}, {filters.describe()}"
        return await self._subscribed(actor, row, summary, sentence)

    async def subscribe_breaches(self, actor: Actor, filters: Filters) -> Outcome:
        channel_id = _channel(actor)
        filters = await self._resolved(filters)
        row = await self.subscriptions.add("breaches", channel_id, filters, actor.user_id)
        sentence = (
            f"this channel gets {filters.describe()} once when 80% of an SLA "
            "target is used and once when it is missed (`/mava sla` shows the targets)."
        )
        summary = f"breaches #{row.id}: {filters.describe()}"
        return await self._subscribed(actor, row, summary, sentence)

    async def subscribe_ratings(self, actor: Actor, values: tuple[int, ...]) -> Outcome:
        subs = self.subscriptions
        row = await subs.add("ratings", _channel(actor), Filters(), actor.user_id, ratings=values)
        shown = " or ".join(map(str, values))
        sentence = (
            f"each ticket newly rated {shown} is posted here once, with the "
            "customer's last message."
        )
        return await self._subscribed(actor, row, f"ratings #{row.id}: {shown}", sentence)

    async def subscribe_report(self, actor: Actor, schedule: Schedule, days: int) -> Outcome:
        subs = self.subscriptions
        row = await subs.add("report", _channel(actor), Filters(), actor.user_id, schedule=schedule)
        sentence = (
            f"this channel gets the report of the last {days} day(s) "
            f"{schedule.describe()} ({row.timezone}), with its chart."
        )
        return await self._subscribed(actor, row, f"report #{row.id}: {schedule.cron}", sentence)

    async def _subscribed(
        self, actor: Actor, row: Subscription, summary: str, sentence: str
    ) -> Outcome:
        said = f"Subscribed: {sentence} Remove it with /mava unsubscribe {row.id}."
        return await self._done(actor, "subscribe", summary, said)

    async def unsubscribe(self, actor: Actor, sub_id: int) -> Outcome:
        channel_id = _channel(actor)
        if not await self.subscriptions.remove(channel_id, sub_id):
            raise ServiceError(
                f"This channel has no subscription #{sub_id}. `/mava subscriptions` lists them."
            )
        return await self._done(actor, "unsubscribe", f"#{sub_id}", f"Unsubscribed #{sub_id}.")

    async def digest_now(self, actor: Actor) -> Outcome:
        """Post the channel's digest now (its own filters)."""
        result = await self._digests.post(_channel(actor))
        sentence = f"Digest {result.describe()}."
        if not result.ok:
            raise ServiceError(sentence)
        return await self._done(actor, "digest", sentence, sentence)

    async def _done(self, actor: Actor, action: str, summary: str, sentence: str) -> Outcome:
        record = await self._auditor.record(actor, action, None, summary, "ok")
        return Outcome("ok", sentence, record)


def _channel(actor: Actor) -> str:
    if not actor.channel_id:
        raise ServiceError(NO_CHANNEL)
    return actor.channel_id
