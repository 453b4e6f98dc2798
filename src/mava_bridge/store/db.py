"""Async database access (SQLite by default, PostgreSQL to scale out) and the schema's
migrations: `migrate` applies them, `schema_state` only reads where a database stands
(`mava-bot check`: it must create and migrate nothing). Time is stored the same way on
both backends: aware UTC (`UTCDateTime`, every datetime column's type), `utcnow` the
clock of every row's default."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Dialect,
    Select,
    TypeDecorator,
    delete,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

BATCH: Final = 1000  # rows a purge deletes per transaction
CHUNK: Final = 500  # values in one IN list or one multi-row INSERT
MIGRATIONS = Path(__file__).with_name("migrations")
# Serialises migrations when several replicas start at once on PostgreSQL.
_MIGRATION_LOCK_ID = 0x6D617661


def _quiet_cancelled_reset(record: logging.LogRecord) -> bool:
    """SQLAlchemy's pool logs "Exception during reset or similar" with a traceback, at
    ERROR, when work is cancelled inside a session (the drain's end at shutdown, under
    load): the connection is dropped and the database rolls the transaction back. That
    is expected, so it becomes one INFO line."""
    exc = record.exc_info[1] if record.exc_info else None
    if isinstance(exc, asyncio.CancelledError) and record.levelno >= logging.ERROR:
        record.msg, record.args = "a database connection was dropped: its work was cancelled", ()
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text = None, None
    return True


def quiet_cancelled_resets(db: Database) -> None:
    """Install the filter on the logger of `db`'s pool class (a logger's filters do not
    reach its children, so not on "sqlalchemy.pool"); once per process."""
    pool = logging.getLogger(f"sqlalchemy.pool.impl.{type(db.engine.pool).__name__}")
    if _quiet_cancelled_reset not in pool.filters:
        pool.addFilter(_quiet_cancelled_reset)


T = TypeVar("T")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


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

    async def get(self, table: type[T], key: Any) -> T | None:
        """The row of `table` whose primary key is `key`."""
        async with self.session() as session:
            return await session.get(table, key)

    async def scalar(self, statement: Select[T]) -> T | None:
        """The first value `statement` reads, None if it reads no row."""
        async with self.session() as session:
            return await session.scalar(statement)

    async def scalars(self, statement: Select[T]) -> list[T]:
        """The first value of every row `statement` reads."""
        async with self.session() as session:
            return list(await session.scalars(statement))

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

    async def upsert(self, table: Any, keys: list[str], **values: Any) -> None:
        """Insert the row of `values`, or update the row holding its `keys` to them."""
        changed = {name: value for name, value in values.items() if name not in keys}
        statement = self.insert(table).values(**values)
        await self.apply(statement.on_conflict_do_update(index_elements=keys, set_=changed))

    async def apply(self, *statements: Any) -> list[int]:
        """Run these statements in one transaction; how many rows each touched."""
        async with self.session() as session, session.begin():
            return [touched(await session.execute(statement)) for statement in statements]

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
    db: Database, table: Any, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """Insert `rows`, leaving those whose `keys` are taken as they are, in one transaction."""
    await db.apply(
        *(
            db.insert(table).values(chunk).on_conflict_do_nothing(index_elements=keys)
            for chunk in chunks(rows)
        )
    )


def chunks(values: list[Any]) -> list[list[Any]]:
    """`values` in lists of at most CHUNK (an IN list or an INSERT of reasonable size)."""
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)]


def touched(result: Any) -> int:
    """How many rows a DELETE or UPDATE touched."""
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_batched(
    db: Database, key: Any, condition: ColumnElement[bool], *, batch: int = BATCH
) -> int:
    """Delete the rows matching `condition` (`key`: the table's primary key), `batch` per
    short transaction, so a large backlog never holds a long lock; how many went."""
    total = 0
    while True:
        chosen = select(key).where(condition).limit(batch).scalar_subquery()
        (deleted,) = await db.apply(delete(key.table).where(key.in_(chosen)))
        total += deleted
        if deleted < batch:
            return total


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    config = alembic_config(connection)
    # A schema a newer release migrated (after a rollback of the code alone): say so,
    # rather than Alembic's traceback about a revision it cannot locate.
    current = _current_revision(connection)
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


def _current_revision(connection: Connection) -> str | None:
    # Reads alembic_version if it exists; does not create it.
    revision: str | None = MigrationContext.configure(connection).get_current_revision()
    return revision


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: no schema yet (an empty database)
    head: str
    due: int  # migrations `mava-bot run` would apply; -1 when `current` is unknown to us

    def describe(self) -> str:
        if self.current == self.head:
            return f"schema at revision {self.head} (the latest)"
        if self.current is None:
            return f"empty: `mava-bot run` will create the tables ({self.due} migrations)"
        plural = "s" if self.due != 1 else ""
        return (
            f"schema at revision {self.current}: {self.due} migration{plural} due, which "
            f"`mava-bot run` applies at start (to {self.head})"
        )


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def sqlite_problem(path: Path) -> str | None:
    """Why `mava-bot run` could not create or write the SQLite file, if it could not."""
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            return f"{path} is not readable and writable by this user (uid {os.getuid()})"
        return None
    folder = path.parent
    if not folder.is_dir():
        return f"the folder {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable by this user (uid {os.getuid()})"
    return None


async def schema_state(url: str) -> SchemaState:
    """Read the revision stamped in the database: connect only, never create or write (a
    missing SQLite file is reported empty without opening it, which would create it)."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    assert head is not None, "no migrations found"
    path = sqlite_file(url)
    if path is not None and not path.exists():
        current = None
    else:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                current = await conn.run_sync(_current_revision)
        finally:
            await engine.dispose()
    try:
        due = len(list(script.iterate_revisions(head, current or "base")))
    except (CommandError, RevisionError) as exc:
        raise UnknownRevision(str(current)) from exc
    return SchemaState(current, head, due)
