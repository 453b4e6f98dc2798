"""Everything the listeners need, built once by mava_bridge.app (no module globals).
`InFlight` is re-exported for webhooks.door, which may import this module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mava_bridge.delivery.ports import PostReport, SetNotify
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.customer_actions import CustomerActions
from mava_bridge.services.follows import FollowService
from mava_bridge.services.open_board import OpenBoard
from mava_bridge.services.outcome import Auditor
from mava_bridge.services.sla import SlaPolicies
from mava_bridge.services.subscription_actions import SubscriptionActions
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.services.ticket_actions import TicketActions
from mava_bridge.services.tickets import TicketService
from mava_bridge.settings import Settings
from mava_bridge.slack.access import AccessControl
from mava_bridge.slack.inflight import InFlight
from mava_bridge.store.db import Database
from mava_bridge.store.writes import AuditLog, SharedFiles

__all__ = ["Actions", "Deps", "InFlight"]


@dataclass(frozen=True)
class Actions:
    """The action services, sharing one auditor (the database row, then the mirror)."""

    auditor: Auditor  # also records refusals, which happen before any action
    tickets: TicketActions
    customers: CustomerActions  # identify, create a ticket
    subscriptions: SubscriptionActions
    sla: SlaPolicies  # `/mava sla`: the response-time policy


@dataclass
class Deps:
    settings: Settings
    db: Database  # store reads the listeners make themselves (a follow, thread notes)
    tickets: TicketService
    access: AccessControl  # and the bot's own identity (`access.identity`)
    audit: AuditLog
    subscriptions: SubscriptionService
    metrics: Metrics
    actions: Actions  # every action (once, audited); listeners parse, call, render
    follows: FollowService  # followed tickets' threads, thread notes, event ids seen
    board: OpenBoard  # every open ticket, shared (App Home reads it)
    reports: PostReport  # `/mava report`: the report posted in a channel now
    inflight: InFlight  # the doors' one count of handed-off work
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    set_notify: SetNotify | None = None  # `/mava notify`: None without assignment DMs
    shared_files: SharedFiles | None = None  # thread files given to Mava (PUBLIC_URL)

    def link(self, ticket_id: str) -> str:
        return self.settings.ticket_url(ticket_id)
