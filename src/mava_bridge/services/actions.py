"""The action services a process acts through, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from mava_bridge.mava.client import MavaClient
from mava_bridge.services.audit import AuditMirror, Auditor
from mava_bridge.services.sla import SlaPolicies
from mava_bridge.services.subscription_actions import DigestPoster, SubscriptionActions
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.services.ticket_actions import AssignmentWatch, TicketActions
from mava_bridge.services.tickets import TicketService
from mava_bridge.services.writes import Writes
from mava_bridge.store.audit import AuditLog
from mava_bridge.store.db import Database
from mava_bridge.store.idempotency import IdempotencyStore


@dataclass(frozen=True)
class Actions:
    auditor: Auditor  # also records refusals, which happen before any action
    tickets: TicketActions
    subscriptions: SubscriptionActions
    sla: SlaPolicies  # `/mava sla`: the response-time policy


def build_actions(
    *,
    mava: MavaClient,
    db: Database,
    tickets: TicketService,
    subscriptions: SubscriptionService,
    digests: DigestPoster,
    audit_log: AuditLog,
    idempotency: IdempotencyStore,
    mirror: AuditMirror,
    zone: str,
    watch: AssignmentWatch | None,
) -> Actions:
    """Every action sharing one auditor (the database row, then `mirror`)."""
    auditor = Auditor(audit_log, mirror)
    return Actions(
        auditor=auditor,
        tickets=TicketActions(mava, tickets, Writes(idempotency, auditor), watch, db=db),
        subscriptions=SubscriptionActions(subscriptions, digests, auditor, tickets),
        sla=SlaPolicies(db, auditor, zone=zone),
    )
