"""Who the bot is in Slack (`auth.test`), asked once and shared.

Bolt's authorization and the Slack Connect check both need it. Bolt's default asks
`auth.test` on every request until the first answer arrives, so a burst of requests
into a freshly started replica would each wait on Slack; here concurrent callers share
one call, and `mava-bot run` asks once before it reports ready.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse


class BotIdentity:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._answer: AsyncSlackResponse | None = None
        self._lock = asyncio.Lock()

    async def auth_test(self) -> AsyncSlackResponse:
        """The first successful answer; failures are not kept, so the next call asks again."""
        if self._answer is None:
            async with self._lock:
                if self._answer is None:
                    self._answer = await self.client.auth_test()
        return self._answer

    async def team_id(self) -> str | None:
        team: Any = (await self.auth_test()).get("team_id")
        return str(team) if team else None

    async def authorize(self) -> AuthorizeResult:
        """Bolt's `authorize` function: the bot token, with what auth.test said of it."""
        return AuthorizeResult.from_auth_test_response(
            bot_token=self.client.token, auth_test_response=await self.auth_test()
        )
