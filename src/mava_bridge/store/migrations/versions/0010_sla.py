"""response-time targets: the policy, warnings and breaches told, pauses seen

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sla_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policy")),
    )
    op.create_table(
        "sla_posts",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("clock", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_posts")),
        sa.UniqueConstraint("channel_id", "ticket_id", "clock", "level", name="uq_sla_post"),
    )
    with op.batch_alter_table("sla_posts", schema=None) as batch_op:
        batch_op.create_index("ix_sla_posts_state", ["state"], unique=False)
    op.create_table(
        "sla_pauses",
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("ticket_id", "started_at", name=op.f("pk_sla_pauses")),
    )


def downgrade() -> None:
    op.drop_table("sla_pauses")
    with op.batch_alter_table("sla_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_posts_state")
    op.drop_table("sla_posts")
    op.drop_table("sla_policy")
