"""Everything the listeners need, built once by mava_bridge.app (no module globals)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mava_bridge.delivery.ports import SetNotify
from mava_bridge.domain.shutdown import finish_or_cancel
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.actions import Actions
from mava_bridge.services.follows import FollowService
from mava_bridge.services.open_board import OpenBoard
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.services.tickets import TicketService
from mava_bridge.settings import Settings
from mava_bridge.slack.access import AccessControl
from mava_bridge.slack.identity import BotIdentity
from mava_bridge.store.audit import AuditLog
from mava_bridge.store.shared_files import SharedFiles

log = logging.getLogger("mava_bridge.slack")


# Work handed off after an ack starts once Slack's requests pause for QUIET_SECONDS (a
# burst is acked first), but never more than MAX_DEFER_SECONDS after it was handed off.
# The pause is longer than a garbage collection or a preemption of the process, which
# would otherwise release a burst's work halfway through its acks; the cap is far
# below anything a person would notice.
QUIET_SECONDS = 0.02
MAX_DEFER_SECONDS = 1.0


class InFlight:
    """The work listeners hand off after their ack, counted so shutdown can wait for it.

    Listeners ack first and return, so Bolt answers Slack at once; what follows (Mava
    calls, database, replies) runs here as tasks the drain can wait for. Acks come
    first: under a burst, the handed-off work of early requests would otherwise take the
    event loop from the acks of later ones (bench/ack_latency.py).
    """

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[Any]] = set()  # strong refs: the loop keeps weak ones
        self._last_request = float("-inf")
        self.closing = False

    def request_arrived(self) -> None:
        """Called by the HTTP layer for each Slack request, before it is acked."""
        self._last_request = asyncio.get_running_loop().time()

    def spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run `work` in the background; counted from now, so a drain cannot miss it."""
        self._count += 1
        self._idle.clear()
        task = asyncio.create_task(self._after_acks(work), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    async def _after_acks(self, work: Coroutine[Any, Any, Any]) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + MAX_DEFER_SECONDS
        try:
            while (now := loop.time()) < deadline:
                quiet_for = now - self._last_request
                if quiet_for >= QUIET_SECONDS:
                    break
                await asyncio.sleep(QUIET_SECONDS - quiet_for)
        except asyncio.CancelledError:
            work.close()  # never started: close it rather than leave it un-awaited
            raise
        return await work

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._count -= 1
        if self._count == 0:
            self._idle.set()
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("handler failed", exc_info=error, extra={"handler": task.get_name()})

    @property
    def count(self) -> int:
        return self._count

    async def finish(self, grace: float) -> bool:
        """Wait up to `grace` seconds for the work in flight (also what it hands off
        meanwhile); cancel what outlives it (then False)."""
        if await self.wait_idle(grace):
            return True
        await finish_or_cancel(list(self._tasks), 0.0)
        return False

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
    identity: BotIdentity
    access: AccessControl
    audit: AuditLog
    subscriptions: SubscriptionService
    metrics: Metrics
    thread_ticket: Callable[[str, str], Awaitable[str | None]]  # alert/followed thread -> ticket
    actions: Actions  # every action (once, audited); listeners parse, call, render
    follows: FollowService  # followed tickets' threads, thread notes, event ids seen
    board: OpenBoard  # every open ticket, shared (App Home reads it)
    inflight: InFlight = field(default_factory=InFlight)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    set_notify: SetNotify | None = None  # `/mava notify`: None without assignment DMs
    shared_files: SharedFiles | None = None  # thread files given to Mava (PUBLIC_URL)

    def link(self, ticket_id: str) -> str:
        return self.settings.ticket_url(ticket_id)
