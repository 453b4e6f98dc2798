"""Fresh databases for tests: SQLite, and PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from mava_bridge.store.db import Database

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
needs_postgres = pytest.mark.skipif(
    not PG_URL,
    reason="TEST_DATABASE_URL is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1/test)",
)


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
