"""mava_sends: the sends of every replica inside Mava's window, per API key (hashed)

All replicas on one PostgreSQL database draw from one Mava budget (store.mava_budget).
SQLite runs one process and keeps its limiter in memory; the table is created there too
so both backends share one schema.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mava_sends",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lane", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mava_sends")),
    )
    with op.batch_alter_table("mava_sends", schema=None) as batch_op:
        batch_op.create_index("ix_mava_sends_key_sent", ["key_hash", "sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mava_sends", schema=None) as batch_op:
        batch_op.drop_index("ix_mava_sends_key_sent")
    op.drop_table("mava_sends")
