"""What the Slack stub's tests share: a Slack Web API client on the stub (the `stub`
fixture itself is tests/conftest.py's)."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub


@pytest.fixture
def client(stub: SlackStub) -> AsyncWebClient:
    return AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
