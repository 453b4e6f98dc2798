"""Where a database's schema stands against our migrations, read without changing it.

`mava-bot check` uses this: it must create and migrate nothing (`mava-bot run` does
that), only say what `run` would find.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from mava_bridge.store.db import UnknownRevision, alembic_config

__all__ = ["SchemaState", "UnknownRevision", "schema_state", "sqlite_file", "sqlite_problem"]


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
    """Read the revision stamped in the database; connect only, never create or write.

    A missing SQLite file is reported as empty without opening it (opening creates it).
    """
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


def _current_revision(connection: Connection) -> str | None:
    # Reads alembic_version if it exists; does not create it.
    revision: str | None = MigrationContext.configure(connection).get_current_revision()
    return revision
