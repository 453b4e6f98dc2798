"""The audit log: every action taken from Slack, with its outcome."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from mava_bridge.store.db import Database
from mava_bridge.store.tables import AuditEntry


@dataclass(frozen=True)
class AuditRecord:
    slack_user_id: str
    slack_user_name: str | None
    channel_id: str | None
    ticket_id: str | None
    action: str
    summary: str
    outcome: str  # ok | error | unknown | refused | duplicate | unchanged


class AuditLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, record: AuditRecord) -> None:
        async with self.db.session() as session, session.begin():
            session.add(
                AuditEntry(
                    slack_user_id=record.slack_user_id,
                    slack_user_name=record.slack_user_name,
                    channel_id=record.channel_id,
                    ticket_id=record.ticket_id,
                    action=record.action,
                    summary=record.summary[:2000],
                    outcome=record.outcome,
                )
            )

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        return await self.db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
