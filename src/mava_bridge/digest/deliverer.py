"""What the alert poller and the digest service are both built from."""

from __future__ import annotations

from collections.abc import Callable

from mava_bridge.digest.posting import SlackPoster
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import Clock, SubscriptionService
from mava_bridge.settings import Settings
from mava_bridge.store.db import Database
from mava_bridge.store.tables import utcnow


class Deliverer:
    """Mava, the database, Slack through one paced poster (shared, so posts to a channel
    are paced across digests and alerts), the subscriptions, a clock, and `owner`: the
    name this process claims deliveries under (Leadership.name; see mava_bridge.digest.ledger)."""

    def __init__(
        self,
        mava: MavaClient,
        db: Database,
        poster: SlackPoster,
        settings: Settings,
        link: Callable[[str], str],
        clock: Clock = utcnow,
        *,
        metrics: Metrics,
        subscriptions: SubscriptionService | None = None,
        owner: str | None = None,
    ) -> None:
        self._mava = mava
        self._db = db
        self._settings = settings
        self._link = link
        self._clock = clock
        self._poster = poster
        self._metrics = metrics
        self._subs = subscriptions or SubscriptionService(db, settings, clock=clock)
        self._owner = owner
