"""Mava webhooks already seen, by `webhookId`, on any replica, for `SEEN_FOR`.

Mava retries a webhook ("up to 3" attempts) and says `webhookId` is for
de-duplication: the first row wins (`Database.insert_new`), a repeat is answered 2xx
and does nothing. The rows are also how a webhook received by any replica reaches the
leader's jobs: the leader reads the newest ones every second
(mava_bridge.delivery.nudges). Housekeeping deletes rows older than `SEEN_FOR`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select

from mava_bridge.store.db import BATCH, Database, delete_batched
from mava_bridge.store.tables import SeenWebhook, utcnow

SEEN_FOR: Final = timedelta(days=1)


class SeenWebhooks:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._db = db
        self._clock = clock

    async def record(self, webhook_id: str, ticket_id: str | None) -> bool:
        """True for a webhook not seen before (on any replica); False for a repeat."""
        row = SeenWebhook(webhook_id=webhook_id, ticket_id=ticket_id, received_at=self._clock())
        return await self._db.insert_new(row)

    async def since(self, after: datetime) -> list[tuple[str, str | None]]:
        """(webhook id, ticket id or None) of the webhooks received after `after`."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(SeenWebhook.webhook_id, SeenWebhook.ticket_id).where(
                    SeenWebhook.received_at > after
                )
            )
            return [(webhook_id, ticket_id) for webhook_id, ticket_id in rows]

    async def purge(self, *, batch: int = BATCH) -> int:
        """Forget webhooks older than `SEEN_FOR`; returns how many rows went."""
        cutoff = self._clock() - SEEN_FOR
        return await delete_batched(
            self._db, SeenWebhook.webhook_id, SeenWebhook.received_at < cutoff, batch=batch
        )
