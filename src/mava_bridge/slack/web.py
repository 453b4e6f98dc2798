"""Slack Web API clients, built once per process with the retry handlers each use needs."""

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
    """The three clients of one process, sharing one connection pool.

    - `bot`: the bot's own calls (auth.test, views, replies); slack_sdk retries a 429
      twice (after its Retry-After) and a 5xx once.
    - `bolt`: the same for Bolt, without a token: Bolt takes it from `authorize` (one
      shared auth.test).
    - `poster`: for `SlackPoster`, which paces, retries and counts 429/5xx itself; stacked
      on the SDK's, one post could be tried many times with sleeps nobody sees. Only
      connection errors (slack_sdk's default) are retried by the SDK.
    """

    bot: AsyncWebClient
    bolt: AsyncWebClient
    poster: AsyncWebClient


def _sdk_retries() -> list[AsyncRetryHandler]:
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=1),
    ]


def _client(
    settings: Settings,
    session: aiohttp.ClientSession | None,
    token: str | None,
    retry_handlers: list[AsyncRetryHandler],
) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=str(settings.slack_api_url),
        session=session,
        retry_handlers=retry_handlers,
    )


def _token(settings: Settings) -> str | None:
    return settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None


def slack_client(
    settings: Settings, session: aiohttp.ClientSession | None = None
) -> AsyncWebClient:
    """The bot's Web API client. Pass a `session` to reuse connections: without one,
    slack_sdk opens (and closes) a new connection for every call."""
    return _client(settings, session, _token(settings), _sdk_retries())


def slack_clients(settings: Settings, session: aiohttp.ClientSession | None = None) -> SlackClients:
    """Every client the process needs (see `SlackClients`), sharing `session`."""
    return SlackClients(
        bot=slack_client(settings, session),
        bolt=_client(settings, session, None, _sdk_retries()),
        poster=_client(settings, session, _token(settings), [AsyncConnectionErrorRetryHandler()]),
    )
