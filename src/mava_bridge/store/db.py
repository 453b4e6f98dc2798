"""Async database access: SQLite by default, PostgreSQL to scale out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS = Path(__file__).with_name("migrations")
# Serialises migrations when several replicas start at once on PostgreSQL.
_MIGRATION_LOCK_ID = 0x6D617661


class UnknownRevision(Exception):
    """The database was migrated by a version of mava-bot newer than this one."""


class Database:
    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            engine_options.setdefault("connect_args", {"timeout": 30})
        else:
            engine_options.setdefault("pool_pre_ping", True)
            engine_options.setdefault("pool_size", 5)
        self.engine: AsyncEngine = create_async_engine(url, **engine_options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> AsyncSession:
        return self.sessions()

    async def insert_new(self, row: Any) -> bool:
        """Insert `row` in a transaction of its own; False if a unique key already holds
        one. The claim of every claim -> post -> mark ledger: only one process wins it."""
        try:
            async with self.session() as session, session.begin():
                session.add(row)
        except IntegrityError:
            return False
        return True

    def insert(self, table: Any) -> Any:
        """An INSERT that takes ON CONFLICT clauses, on SQLite and PostgreSQL alike."""
        return (sqlite_insert if self.is_sqlite else pg_insert)(table)

    async def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})"))
            await conn.run_sync(_upgrade)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def insert_ignore(
    db: Database, table: Any, rows: list[dict[str, Any]], keys: list[str], *, chunk: int = 500
) -> None:
    """Insert `rows`, leaving those whose `keys` are taken as they are (ON CONFLICT DO
    NOTHING), in one transaction."""
    async with db.session() as session, session.begin():
        for start in range(0, len(rows), chunk):
            statement = db.insert(table).values(rows[start : start + chunk])
            await session.execute(statement.on_conflict_do_nothing(index_elements=keys))


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config(connection)
    # A schema a newer release migrated (after a rollback of the code alone): say so,
    # rather than Alembic's traceback about a revision it cannot locate.
    current = MigrationContext.configure(connection).get_current_revision()
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if current is not None and current not in known:
        raise UnknownRevision(current)
    command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers and the writer work side by side in one process.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
