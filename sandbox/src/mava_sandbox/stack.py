"""The whole bridge on loopback: Mava sandbox + Slack stub + the bot in HTTP mode, or
with ``socket_mode=True`` in Socket Mode through a local Socket Mode server.

Used by the demo, the scenario tests and the benchmarks, so all three drive the bot
through the same path as production: signed HTTP requests into `/slack/events` (or
envelopes over the websocket), Mava over HTTP, Slack Web API calls over HTTP.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mava_bridge.app import Bridge
from mava_bridge.settings import Settings
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.mava_webhooks import MavaWebhooks
from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET, SlackEventSender
from mava_sandbox.slack_stub import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    SlackStub,
    running_slack_stub,
)
from mava_sandbox.socket_mode_server import SocketModeServer, running_socket_mode_server


@dataclass
class Stack:
    mava: RunningSandbox
    slack: SlackStub
    runtime: Bridge
    url: str  # the bot's /slack/events
    base_url: str  # the bot's root (for /healthz, /metrics)
    sender: SlackEventSender
    socket: SocketModeServer | None = None  # Socket Mode: Slack's end of the websocket
    webhooks: MavaWebhooks | None = None  # Mava's webhooks to the bot (`webhooks=True`)

    @property
    def settings(self) -> Settings:
        return self.runtime.settings


def stack_settings(
    mava: RunningSandbox, slack: SlackStub, database_url: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": DEFAULT_BOT_TOKEN,
        "slack_signing_secret": DEFAULT_SIGNING_SECRET,
        "slack_api_url": slack.api_url,
        "mava_api_token": mava.api_key,
        "mava_api_url": mava.url,
        "database_url": database_url,
        "host": "127.0.0.1",
        "port": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@contextlib.asynccontextmanager
async def running_stack(
    *,
    database_url: str | None = None,
    mava_options: dict[str, Any] | None = None,
    slack_options: dict[str, Any] | None = None,
    socket_mode: bool = False,
    webhooks: bool = False,
    **settings_overrides: Any,
) -> AsyncIterator[Stack]:
    """`socket_mode`: run the bot in Socket Mode (its app token, connected to a local
    Socket Mode server before the stack is yielded). `webhooks`: the sandbox sends
    Mava's webhooks to the bot's POST /mava/webhook, the bot configured with its key."""
    options = {"rate_limit": None, **(mava_options or {})}
    if socket_mode:
        settings_overrides.setdefault("slack_app_token", DEFAULT_APP_TOKEN)
    with tempfile.TemporaryDirectory(prefix="mava-bot-") as workdir:
        url = database_url or f"sqlite+aiosqlite:///{Path(workdir) / 'bot.db'}"
        async with (
            running_mava_sandbox(**options) as mava,
            running_slack_stub(**(slack_options or {})) as slack,
            running_socket_mode_server(slack) as socket,
        ):
            hooks = MavaWebhooks(mava.sandbox).attach() if webhooks else None
            if hooks is not None:
                settings_overrides.setdefault("mava_webhook_signing_key", hooks.signing_key)
            settings = stack_settings(mava, slack, url, **settings_overrides)
            runtime = await Bridge.build(settings)
            runner, port = await runtime.serve_http("127.0.0.1", settings.port)
            base = f"http://127.0.0.1:{port}"
            if hooks is not None:
                hooks.url = f"{base}/mava/webhook"
            try:
                if runtime.socket_mode is not None:
                    await runtime.socket_mode.start()
                    await socket.wait_for_connection(1)
                async with SlackEventSender(f"{base}/slack/events", stub=slack) as sender:
                    yield Stack(
                        mava,
                        slack,
                        runtime,
                        f"{base}/slack/events",
                        base,
                        sender,
                        socket if runtime.socket_mode is not None else None,
                        hooks,
                    )
            finally:
                if hooks is not None:
                    await hooks.aclose()
                if runtime.socket_mode is not None:
                    await runtime.socket_mode.stop()
                await runtime.drain(5.0)
                await runner.cleanup()
                await runtime.close()
