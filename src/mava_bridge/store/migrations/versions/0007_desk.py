"""the agent's desk: who each ticket is assigned to, assignment DMs, who wants them,
waiting-too-long reminders

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # `/mava subscribe reminders after 30m`: the wait after which a ticket is posted.
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wait_minutes", sa.Integer(), nullable=True))
    op.create_table(
        "ticket_assignees",
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_assignees")),
    )
    op.create_table(
        "assignment_dms",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_dms")),
        sa.UniqueConstraint("ticket_id", "generation", name="uq_assignment_dm_generation"),
    )
    with op.batch_alter_table("assignment_dms", schema=None) as batch_op:
        batch_op.create_index("ix_assignment_dms_state", ["state"], unique=False)
    op.create_table(
        "dm_settings",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("assignment_dms", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_dm_settings")),
    )
    op.create_table(
        "reminder_posts",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_posts")),
        sa.UniqueConstraint("channel_id", "ticket_id", "period", name="uq_reminder_period"),
    )
    with op.batch_alter_table("reminder_posts", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_posts_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_posts_state")
    op.drop_table("reminder_posts")
    op.drop_table("dm_settings")
    with op.batch_alter_table("assignment_dms", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_dms_state")
    op.drop_table("assignment_dms")
    op.drop_table("ticket_assignees")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("wait_minutes")
