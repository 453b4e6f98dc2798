"""Slack Web API clients, built once per process with the retries each use needs."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.settings import Settings


@dataclass(frozen=True)
class SlackClients:
    """The clients of one process, sharing one connection pool."""

    bot: AsyncWebClient  # the bot's own calls
    bolt: AsyncWebClient  # the same without a token: Bolt takes it from `authorize`
    # For `SlackPoster`, which paces and retries 429/5xx itself: stacked on the SDK's, one
    # post could be tried many times with sleeps nobody sees.
    poster: AsyncWebClient


def slack_client(
    settings: Settings,
    session: aiohttp.ClientSession | None = None,
    *,
    with_token: bool = True,
    retries: list[AsyncRetryHandler] | None = None,
) -> AsyncWebClient:
    """A Web API client: a 429 retried twice (after its Retry-After), a 5xx once, unless
    `retries` says otherwise. Without a `session` each call opens its own connection."""
    if retries is None:
        retries = [
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(max_retry_count=1),
        ]
    token = settings.slack_bot_token
    return AsyncWebClient(
        token=token.get_secret_value() if token and with_token else None,
        base_url=str(settings.slack_api_url),
        session=session,
        retry_handlers=retries,
    )


def slack_clients(settings: Settings, session: aiohttp.ClientSession | None = None) -> SlackClients:
    return SlackClients(
        bot=slack_client(settings, session),
        bolt=slack_client(settings, session, with_token=False),
        poster=slack_client(settings, session, retries=[AsyncConnectionErrorRetryHandler()]),
    )
