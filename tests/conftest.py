"""Shared fixtures: a seeded Mava sandbox on loopback (`mava_sandbox`), a fast client for
it (`mava`), the Slack stub (`stub`), a migrated SQLite database (`db`) and `backend`:
SQLite, and PostgreSQL in a schema of its own when TEST_DATABASE_URL is set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from backends import Backend, backend_for, needs_postgres

from mava_bridge.mava.client import MavaClient, RetryPolicy
from mava_bridge.mava.ratelimit import RateLimiter
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.slack_stub import SlackStub, running_slack_stub


@pytest.fixture
async def mava_sandbox() -> AsyncIterator[RunningSandbox]:
    """A fresh sandbox (seed 42, 300 tickets, real clock, no rate limit) on a free port.

    Use `.url` as MAVA_API_URL, `.api_key` as MAVA_API_TOKEN, `.sandbox` for state,
    `inject(...)` faults and the `requests` log.
    """
    async with running_mava_sandbox(api_key="test-mava-key", rate_limit=None) as running:
        yield running


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await database.migrate()
    yield database
    await database.dispose()


@pytest.fixture
async def stub() -> AsyncIterator[SlackStub]:
    async with running_slack_stub() as running:
        yield running


@pytest.fixture
async def mava(mava_sandbox: RunningSandbox) -> AsyncIterator[MavaClient]:
    """A client with a private limiter and near-zero backoff, so tests stay fast."""
    client = MavaClient(
        mava_sandbox.url,
        mava_sandbox.api_key,
        limiter=RateLimiter(1000, 1.0),
        retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01),
        sleep=_no_sleep,
    )
    yield client
    await client.aclose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_postgres)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    async with backend_for(request.param, tmp_path) as found:
        yield found
