"""Persistence: SQLAlchemy 2 async, schema managed by Alembic; all the SQL there is."""
