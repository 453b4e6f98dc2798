"""claim owners and digest progress; drop the unused leader_lease table

A claim names the process holding it, so a new leader can take over the claims of one
that died at once rather than after STALE_CLAIM; a digest run records the tickets it has
listed, so one interrupted mid-thread is finished without repeating any.
The advisory lock (mava_bridge.store.leader) replaced the lease table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("listed", sa.JSON(), nullable=True))
    op.drop_table("leader_lease")


def downgrade() -> None:
    op.create_table(
        "leader_lease",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leader_lease")),
    )
    with op.batch_alter_table("digest_runs", schema=None) as batch_op:
        batch_op.drop_column("listed")
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
