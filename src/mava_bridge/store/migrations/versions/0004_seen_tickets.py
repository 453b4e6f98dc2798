"""seen_tickets: when each ticket the bridge has read was created

A look-up by id searches exactly that instant instead of guessing from the time in
the id (imported tickets are created long before or after it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_tickets",
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_seen_tickets")),
    )
    with op.batch_alter_table("seen_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_tickets_seen_at"), ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seen_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_tickets_seen_at"))
    op.drop_table("seen_tickets")
