"""Reading the ledgers' rows in tests: what the product wrote, read straight from its
tables (the product itself never reads them back this way)."""

from __future__ import annotations

from sqlalchemy import select

from mava_bridge.store.db import Database
from mava_bridge.store.tables import AssignmentDm, DigestRun


async def digest_run_state(db: Database, run_key: str) -> str | None:
    """The state of one digest run: claimed, posted, failed; None if never claimed."""
    async with db.session() as session:
        return await session.scalar(select(DigestRun.state).where(DigestRun.run_key == run_key))


async def dm_rows(db: Database, ticket_id: str) -> list[AssignmentDm]:
    """Every assignment DM row of a ticket, oldest generation first."""
    async with db.session() as session:
        rows = await session.scalars(
            select(AssignmentDm)
            .where(AssignmentDm.ticket_id == ticket_id)
            .order_by(AssignmentDm.generation)
        )
        return list(rows)
