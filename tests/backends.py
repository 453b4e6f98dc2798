"""Fresh databases for tests: SQLite, and PostgreSQL when TEST_DATABASE_URL is set.

Under pytest-xdist each worker works in a database of its own, `<TEST_DATABASE_URL's
database>_<worker id>` (conftest.py creates it when the worker starts and drops it at
the end): PostgreSQL scopes advisory locks to a database, so the bot's fixed lock keys
(leader, migrations, Mava budget) never meet another worker's, and tables created outside
`backend_for`'s schemas are not shared either.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from mava_bridge.store.db import Database


def worker_url(url: str, worker: str | None) -> str:
    """`url` with the xdist worker's own database (as is outside xdist, or if done)."""
    if not url or not worker:
        return url
    parsed = make_url(url)
    if parsed.database and parsed.database.endswith(f"_{worker}"):
        return url
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


# PYTEST_XDIST_WORKER is set before a worker imports any conftest.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
PG_URL = worker_url(os.environ.get("TEST_DATABASE_URL", ""), WORKER)
needs_postgres = pytest.mark.skipif(
    not PG_URL,
    reason="TEST_DATABASE_URL is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1/test)",
)


async def _worker_database(create: bool) -> None:
    parsed = make_url(PG_URL)
    admin = parsed.set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(admin.render_as_string(hide_password=False), timeout=10)
    try:
        # FORCE: a bot process a killed run left behind must not keep its database alive.
        await connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        if create:
            await connection.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await connection.close()


def worker_database(create: bool) -> None:
    """Create (afresh) or drop this xdist worker's database; nothing outside xdist."""
    if not PG_URL or not WORKER:
        return
    try:
        asyncio.run(_worker_database(create))
    except Exception as exc:
        doing = "create" if create else "drop"
        raise pytest.UsageError(
            f"cannot {doing} the test database {make_url(PG_URL).database} of xdist worker "
            f"{WORKER} ({type(exc).__name__}: {exc}); the TEST_DATABASE_URL user needs "
            "CREATEDB, or run serially with -n 0"
        ) from exc


@contextlib.asynccontextmanager
async def fresh_postgres(prefix: str) -> AsyncIterator[str]:
    """A new PostgreSQL database on PG_URL's server, named `prefix` and a random tail,
    dropped afterwards (FORCE: a killed bot process must not keep it alive); its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    dsn = make_url(PG_URL).set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Backend:
    """Makes `Database`s on one fresh database: each is like another replica."""

    name: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)
    schema: str | None = None
    made: list[Database] = field(default_factory=list)

    def database(self) -> Database:
        db = Database(self.url, **self.options)
        self.made.append(db)
        return db


@contextlib.asynccontextmanager
async def backend_for(kind: str, tmp_path: Path) -> AsyncIterator[Backend]:
    """A fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        found = Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
        yield found
        for db in found.made:
            await db.dispose()
        return

    # PostgreSQL: a schema of our own, so other users of the database are not touched.
    schema = f"mava_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    found = Backend(
        "postgresql",
        PG_URL,
        {"connect_args": {"server_settings": {"search_path": schema}}},
        schema,
    )
    try:
        yield found
    finally:
        for db in found.made:
            await db.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


_TEMPLATE: list[Path] = []  # this process's migrated SQLite file, made on first use


async def migrated_sqlite(path: Path) -> str:
    """The URL of a migrated SQLite database at `path`: a copy of one this process
    migrated once. A fresh migration (every DDL statement, each committed to disk) costs
    0.1 to 0.4 s on 2 cores, and hundreds of tests begin with one; a copy, a millisecond.
    The tests of migrating itself start from empty files (`backend_for`)."""
    if not _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="mava-template-")) / "bot.db"
        database = Database(f"sqlite+aiosqlite:///{template}")
        await database.migrate()
        await database.dispose()
        _TEMPLATE.append(template)
    shutil.copyfile(_TEMPLATE[0], path)
    return f"sqlite+aiosqlite:///{path}"
