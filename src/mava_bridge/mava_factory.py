"""The Mava client as a process builds it: its limiter (shared by every replica when
the database is PostgreSQL), metrics observers and the memory of ticket creation times.
Part of the composition root (beside mava_bridge.app): it reads settings, metrics and the
store, which the `mava` part itself never imports."""

from __future__ import annotations

import asyncio

from mava_bridge.domain.retry import Stopping
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.lookup import TicketMemory
from mava_bridge.mava.ratelimit import Limiter, SharedLimiter, limiter_for
from mava_bridge.observability.metrics import Metrics
from mava_bridge.settings import Settings
from mava_bridge.store.db import Database
from mava_bridge.store.mava_budget import PostgresBudget


def mava_client(
    settings: Settings,
    metrics: Metrics | None = None,
    memory: TicketMemory | None = None,
    db: Database | None = None,
    stopping: Stopping | None = None,
) -> MavaClient:
    """The Mava client; `metrics` None for one-shot commands (check, preview);
    `memory` remembers when each ticket read was created (a look-up is then exact).
    With a PostgreSQL `db` its sends draw from the budget all replicas share; its
    retry waits end when `stopping` is set."""
    token = settings.mava_api_token
    if token is None:
        raise ValueError("MAVA_API_TOKEN is not set")
    limiter: Limiter
    if db is not None and not db.is_sqlite:
        limiter = SharedLimiter(
            PostgresBudget.connect(db.url, token.get_secret_value()),
            settings.mava_rate_limit,
            settings.mava_rate_window_seconds,
            fallback_limit=settings.mava_rate_fallback,
        )
    else:
        limiter = limiter_for(settings.mava_rate_limit, settings.mava_rate_window_seconds)
    return MavaClient(
        str(settings.mava_api_url),
        token,
        timeout=settings.mava_timeout_seconds,
        limiter=limiter,
        observer=metrics.mava_observer if metrics else None,
        wait_observer=metrics.observe_ratelimit_wait if metrics else None,
        memory=memory,
        sleep=stopping.sleep if stopping is not None else asyncio.sleep,
        unreadable_observer=metrics.observe_unreadable_ticket if metrics else None,
    )
