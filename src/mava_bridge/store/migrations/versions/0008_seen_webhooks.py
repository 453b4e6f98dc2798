"""Mava webhooks: the ids seen (one nudge per webhook, on any replica)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_webhooks",
        sa.Column("webhook_id", sa.String(length=200), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_seen_webhooks")),
    )
    with op.batch_alter_table("seen_webhooks", schema=None) as batch_op:
        batch_op.create_index("ix_seen_webhooks_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seen_webhooks", schema=None) as batch_op:
        batch_op.drop_index("ix_seen_webhooks_received_at")
    op.drop_table("seen_webhooks")
