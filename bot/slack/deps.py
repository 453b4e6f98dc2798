"""Everything the listeners need, built once by `create_app` (no module globals)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.settings import Settings
from bot.slack.access import AccessControl
from bot.store.audit import AuditLog
from bot.store.idempotency import IdempotencyStore

if TYPE_CHECKING:
    from bot.digest import DigestService, SubscriptionService
    from bot.observability.metrics import Metrics
    from bot.services.tickets import TicketService


class InFlight:
    """Counts running handlers so shutdown can wait for them (Bolt runs them as tasks)."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.closing = False

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        self._count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    @property
    def count(self) -> int:
        return self._count

    async def wait_idle(self, grace: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            return False
        return True


@dataclass
class Deps:
    settings: Settings
    tickets: TicketService
    access: AccessControl
    audit: AuditLog
    idempotency: IdempotencyStore
    subscriptions: SubscriptionService | None = None
    digests: DigestService | None = None
    metrics: Metrics | None = None
    thread_ticket: Callable[[str, str], Awaitable[str | None]] | None = None
    inflight: InFlight = field(default_factory=InFlight)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def link(self, ticket_id: str) -> str:
        return self.settings.ticket_url(ticket_id)
