"""Shared fixtures. `mava_sandbox`: a seeded Mava sandbox served on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox.mava_server import RunningSandbox, running_mava_sandbox


@pytest.fixture
async def mava_sandbox() -> AsyncIterator[RunningSandbox]:
    """A fresh sandbox (seed 42, 300 tickets, real clock, no rate limit) on a free port.

    Use `.url` as MAVA_API_URL, `.api_key` as MAVA_API_TOKEN, `.sandbox` for state,
    `inject(...)` faults and the `requests` log.
    """
    async with running_mava_sandbox(api_key="test-mava-key", rate_limit=None) as running:
        yield running
