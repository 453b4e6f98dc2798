"""Alembic environment: runs on the connection handed over by `Database.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from mava_bridge.store.tables import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through mava_bridge.store.Database.migrate()")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
