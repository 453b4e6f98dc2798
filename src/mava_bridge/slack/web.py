"""Slack Web API clients: the bot's own, and copies of it that differ in one respect."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.settings import Settings


def slack_client(
    settings: Settings, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The bot's Web API client. Pass a `session` to reuse connections: without one,
    slack_sdk opens (and closes) a new connection for every call."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=str(settings.slack_api_url),
        session=session,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def twin_client(
    client: AsyncWebClient, *, token: str | None, retry_handlers: list[AsyncRetryHandler]
) -> AsyncWebClient:
    """A client like `client` (URL, session, headers, default params) with its own token
    and retry handlers."""
    twin = AsyncWebClient(
        token=token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        trust_env_in_session=client.trust_env_in_session,
        headers={k: v for k, v in client.headers.items() if k != "User-Agent"},
        logger=client.logger,
        retry_handlers=retry_handlers,
    )
    twin.headers["User-Agent"] = client.headers.get("User-Agent", twin.headers["User-Agent"])
    twin.default_params = dict(client.default_params)
    return twin
