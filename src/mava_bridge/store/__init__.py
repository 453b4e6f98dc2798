"""Persistence: SQLAlchemy 2 async, schema managed by Alembic."""

from mava_bridge.store.db import Database

__all__ = ["Database"]
