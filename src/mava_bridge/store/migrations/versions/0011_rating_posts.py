"""tickets newly rated, posted once per channel (`/mava subscribe ratings`)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "rating_posts",
        sa.Column("id", _BIG_ID, nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=40), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_posts")),
        sa.UniqueConstraint("channel_id", "ticket_id", name="uq_rating_channel_ticket"),
    )
    with op.batch_alter_table("rating_posts", schema=None) as batch_op:
        batch_op.create_index("ix_rating_posts_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rating_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_posts_state")
    op.drop_table("rating_posts")
