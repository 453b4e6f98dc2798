"""What each channel gets: subscriptions made from Slack plus the settings' defaults.

The defaults (DIGEST_CHANNEL, ALERT_CHANNEL) are built from settings on every read, not
copied into the `subscriptions` table: a changed setting needs nothing migrated, and
replicas never race to create them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Literal

from mava_bridge.domain.cron import cron_trigger
from mava_bridge.domain.filters import (
    DEFAULT_DIGEST_FILTERS,
    Filters,
    filters_from_json,
    filters_to_json,
    fingerprint,
)
from mava_bridge.domain.schedule import Schedule, schedule_from_cron
from mava_bridge.domain.wording import duration
from mava_bridge.services.outcome import ServiceError
from mava_bridge.settings import Settings
from mava_bridge.store import subscriptions as store
from mava_bridge.store.db import Database, utcnow
from mava_bridge.store.tables import Subscription

log = logging.getLogger(__name__)

Kind = Literal["digest", "alerts", "reminders", "breaches", "ratings", "report"]
SCHEDULED: Final = ("digest", "report")  # kinds the scheduler runs on their cron
Clock = Callable[[], datetime]
ChangeListener = Callable[[], Awaitable[None]]

MAX_PER_CHANNEL: Final = 20
_OUTCOME_LIMIT: Final = 500


class SubscriptionError(ServiceError):
    """A subscription request that cannot be honoured; the message is fit for Slack."""


@dataclass(frozen=True)
class ActiveSubscription:
    """One thing to deliver, from the database (`id` set) or from settings (`id` None);
    `/mava subscriptions` also reads who made it and how its last delivery went."""

    key: str  # "sub:12", or "settings:digest:C123" / "settings:alerts:C123"
    id: int | None
    channel_id: str
    kind: Kind
    filters: Filters
    schedule: Schedule | None = None  # digests and reports
    timezone: str = "UTC"
    created_at: datetime | None = None  # None for settings: everything seen first is old
    wait_minutes: int | None = None  # reminders: a customer waiting longer is posted
    ratings: tuple[int, ...] = ()  # ratings: the values posted
    created_by: str | None = None
    last_delivery_at: datetime | None = None
    last_outcome: str | None = None

    @property
    def report_days(self) -> int:
        """A scheduled report's period: a day for a daily one, else a week."""
        weekdays = self.schedule.cron.split()[4] if self.schedule else "*"
        return 1 if weekdays == "*" else 7

    @property
    def is_default(self) -> bool:
        return self.id is None

    @property
    def watermark_key(self) -> str:
        """Poll state key: a change of filters starts afresh (with a new baseline)."""
        return f"alerts:{self.key}:{fingerprint(self.filters)}"

    @property
    def source(self) -> str:
        """Where it comes from: the setting to change, or the id to unsubscribe."""
        if self.is_default:
            return "DIGEST_CHANNEL setting" if self.kind == "digest" else "ALERT_CHANNEL setting"
        return f"#{self.id}"

    @property
    def what(self) -> str:
        """Plain text, e.g. "digest weekdays at 09:00 (Europe/Berlin): unassigned tickets"."""
        if self.kind == "digest" and self.schedule is not None:
            return f"digest {self.schedule.describe()} ({self.timezone}): {self.filters.describe()}"
        if self.kind == "reminders":
            wait = duration(60 * (self.wait_minutes or 0))
            return f"reminders after {wait}: {self.filters.describe()}"
        if self.kind == "breaches":
            return f"SLA warnings and breaches: {self.filters.describe()}"
        if self.kind == "ratings":
            return f"ratings {' '.join(map(str, self.ratings))}"
        if self.kind == "report" and self.schedule is not None:
            return f"report {self.schedule.describe()} ({self.timezone})"
        return f"{self.kind}: {self.filters.describe()}"  # alerts

    def describe(self) -> str:
        """One plain-text line (escape before putting it into mrkdwn)."""
        if self.last_delivery_at is None and not self.last_outcome:
            last = "nothing delivered yet"
        else:
            when = (
                self.last_delivery_at.strftime("%Y-%m-%d %H:%M UTC")
                if self.last_delivery_at
                else "never"
            )
            last = f"last delivery {when}: {self.last_outcome or 'ok'}"
        return f"{self.source} · {self.what} · {last}"


def _active(row: Subscription) -> ActiveSubscription:
    kind: Kind = "alerts"
    if row.kind in ("digest", "reminders", "breaches", "ratings", "report"):
        kind = row.kind  # type: ignore[assignment]
    return ActiveSubscription(
        key=f"sub:{row.id}",
        id=row.id,
        channel_id=row.channel_id,
        kind=kind,
        filters=filters_from_json(row.filters or {}),
        schedule=schedule_from_cron(row.cron) if kind in SCHEDULED and row.cron else None,
        timezone=row.timezone or "UTC",
        created_at=row.created_at,
        wait_minutes=row.wait_minutes,
        ratings=tuple(int(v) for v in (row.filters or {}).get("ratings") or ()),
    )


class SubscriptionService:
    """Adds, lists and removes subscriptions; `on_change` is awaited after every add or
    remove (the scheduler rebuilds its digest jobs)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        on_change: ChangeListener | None = None,
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._on_change = on_change

    async def _changed(self) -> None:
        if self._on_change is None:
            return
        try:
            await self._on_change()
        except Exception:  # a listener must not undo a change already committed
            log.exception("subscription change listener failed")

    async def add(
        self,
        kind: Kind,
        channel_id: str,
        filters: Filters,
        created_by: str | None,
        *,
        schedule: Schedule | None = None,  # digests and reports
        wait_minutes: int | None = None,  # reminders
        ratings: tuple[int, ...] = (),  # ratings
    ) -> Subscription:
        """The subscription, added (and `on_change` told) unless the same one is there."""
        timezone = None
        if schedule is not None:
            timezone = self._settings.digest_timezone
            cron_trigger(schedule.cron, timezone)  # ValueError now rather than at start-up
        data = filters_to_json(filters)
        if ratings:  # the values a ratings subscription posts, beside its (empty) filters
            data["ratings"] = list(ratings)
        new = Subscription(
            channel_id=channel_id,
            kind=kind,
            cron=schedule.cron if schedule else None,
            timezone=timezone,
            filters=data,
            created_by=created_by,
            created_at=self._clock(),
            wait_minutes=wait_minutes,
        )
        try:
            row, added = await store.add(self._db, new, limit=MAX_PER_CHANNEL)
        except store.TooMany as many:
            raise SubscriptionError(
                f"This channel already has {many.count} subscriptions. Remove one with "
                "`/mava unsubscribe ID` first (`/mava subscriptions` lists them)."
            ) from None
        if not added:  # the same request twice (a retried command) adds nothing
            return row
        log.info("subscription added", extra={"channel": channel_id, "kind": kind})
        await self._changed()
        return row

    async def remove(self, channel_id: str, sub_id: int) -> bool:
        """Remove a subscription of this channel; False if it has no such id."""
        removed = await store.remove(self._db, channel_id, sub_id)
        if removed:
            await self._changed()
        return removed

    async def list_for_channel(self, channel_id: str) -> list[ActiveSubscription]:
        """The settings' defaults for this channel first, then its own, oldest first, each
        with how its last delivery went."""
        defaults = [d for d in self.defaults() if d.channel_id == channel_id]
        statuses = await store.default_statuses(self._db, [d.key for d in defaults])
        views = []
        for sub in defaults:
            if (status := statuses.get(sub.key)) is not None:
                at, outcome = status.last_delivery_at, status.last_outcome
                sub = replace(sub, last_delivery_at=at, last_outcome=outcome)
            views.append(sub)
        for r in await store.listed(self._db, channel_id):
            at, outcome = r.last_delivery_at, r.last_outcome
            views.append(
                replace(
                    _active(r), created_by=r.created_by, last_delivery_at=at, last_outcome=outcome
                )
            )
        return views

    # --- what the poller and the scheduler read ---------------------------------------

    def defaults(self) -> list[ActiveSubscription]:
        settings = self._settings
        found: list[ActiveSubscription] = []
        if channel := settings.digest_channel:
            schedule = schedule_from_cron(settings.digest_schedule)
            key = f"settings:digest:{channel}"
            filters = DEFAULT_DIGEST_FILTERS
            zone = settings.digest_timezone
            found.append(ActiveSubscription(key, None, channel, "digest", filters, schedule, zone))
        if channel := settings.alert_channel:
            key = f"settings:alerts:{channel}"
            filters = Filters(
                min_priority=settings.alert_priority, unassigned_only=settings.alert_unassigned
            )
            found.append(ActiveSubscription(key, None, channel, "alerts", filters))
        return found

    async def active(self, kind: Kind | None = None) -> list[ActiveSubscription]:
        """Every subscription to deliver (defaults first), optionally of one kind."""
        rows = await store.listed(self._db)
        subs = [*self.defaults(), *(_active(row) for row in rows)]
        return [s for s in subs if kind is None or s.kind == kind]

    async def get(self, key: str) -> ActiveSubscription | None:
        return next((s for s in await self.active() if s.key == key), None)

    async def digest_filters_for(self, channel_id: str) -> tuple[Filters, str]:
        """Filters and time zone of this channel's digest (its first digest
        subscription), or the default digest's when it has none."""
        for sub in await self.active("digest"):
            if sub.channel_id == channel_id:
                return sub.filters, sub.timezone
        return DEFAULT_DIGEST_FILTERS, self._settings.digest_timezone


async def record_outcome(db: Database, sub: ActiveSubscription, outcome: str, at: datetime) -> None:
    """Remember how the last delivery went, for `/mava subscriptions`."""
    await store.record_outcome(db, sub.id, sub.key, outcome[:_OUTCOME_LIMIT], at)
