"""Persistence: SQLAlchemy 2 async, schema managed by Alembic."""

from bot.store.db import Database

__all__ = ["Database"]
