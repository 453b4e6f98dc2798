"""The Bolt app factory: `create_app(settings, clients, deps)`; no module globals."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult

from mava_bridge.settings import Settings
from mava_bridge.slack import listeners
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.web import SlackClients

log = logging.getLogger("mava_bridge.slack")


def create_app(settings: Settings, clients: SlackClients, deps: Deps) -> AsyncApp:
    """The Bolt app with every listener registered (`deps` built by mava_bridge.app)."""
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    identity = deps.identity

    async def authorize() -> AuthorizeResult:  # Bolt passes arguments by name: none here
        return await identity.authorize()

    app = AsyncApp(
        client=clients.bolt,  # no token: Bolt takes it from `authorize`
        authorize=authorize,
        signing_secret=signing_secret,
        # HTTP requests are verified at the door (mava_bridge.slack.http_route) before Bolt sees
        # them, over the raw bytes and without logging a refused body (Bolt's check logs
        # it whole); Socket Mode has no signatures to check.
        request_verification_enabled=False,
        # Listeners ack, hand the rest to `deps.inflight` and return, so Bolt answers as
        # soon as they return; Bolt's own background mode polls for the ack every 10 ms.
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )
    listeners.register(app, deps)
    return app
