"""ticket threads: followed tickets, what their threads hold, the bridge's own messages,
per-channel settings

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "followed_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_ts", sa.String(length=32), nullable=False),
        sa.Column("ticket_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("followed_by", sa.String(length=32), nullable=False),
        sa.Column("followed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("resolved_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("edit_notice_sent", sa.Boolean(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followed_tickets")),
        sa.UniqueConstraint("channel_id", "ticket_id", name="uq_followed_channel_ticket"),
        sa.UniqueConstraint("channel_id", "thread_ts", name="uq_followed_channel_thread"),
    )
    with op.batch_alter_table("followed_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_followed_tickets_active"), ["active"], unique=False)

    op.create_table(
        "thread_posts",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("follow_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("slack_ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thread_posts")),
        sa.UniqueConstraint("follow_id", "item_key", name="uq_thread_post_item"),
    )
    with op.batch_alter_table("thread_posts", schema=None) as batch_op:
        batch_op.create_index("ix_thread_posts_state", ["state"], unique=False)

    op.create_table(
        "bridge_messages",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column("mava_message_id", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matched_message_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bridge_messages")),
    )
    with op.batch_alter_table("bridge_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bridge_messages_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_bridge_messages_ticket", ["ticket_id", "mava_message_id"], unique=False
        )

    op.create_table(
        "channel_settings",
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("thread_notes", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel_id", name=op.f("pk_channel_settings")),
    )


def downgrade() -> None:
    op.drop_table("channel_settings")
    with op.batch_alter_table("bridge_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_bridge_messages_ticket")
        batch_op.drop_index(batch_op.f("ix_bridge_messages_created_at"))
    op.drop_table("bridge_messages")
    with op.batch_alter_table("thread_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_thread_posts_state")
    op.drop_table("thread_posts")
    with op.batch_alter_table("followed_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_followed_tickets_active"))
    op.drop_table("followed_tickets")
