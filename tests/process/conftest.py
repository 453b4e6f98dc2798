"""What the `mava-bot` process tests share: an empty Mava sandbox and a Slack stub."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.slack_stub import SlackStub, running_slack_stub


@pytest.fixture
async def services() -> AsyncIterator[tuple[RunningSandbox, SlackStub]]:
    """A Mava sandbox with no tickets and no rate limit, and a Slack stub, on loopback."""
    async with (
        running_mava_sandbox(rate_limit=None, tickets=0) as mava,
        running_slack_stub() as slack,
    ):
        yield mava, slack
