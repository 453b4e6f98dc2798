"""The Bolt app factory: `create_app(settings, clients, deps)`; no module globals."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from mava_bridge.settings import Settings
from mava_bridge.slack import listeners
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.web import SlackClients


def create_app(settings: Settings, clients: SlackClients, deps: Deps) -> AsyncApp:
    """The Bolt app with every listener registered (`deps` built by mava_bridge.app)."""
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    )
    app = AsyncApp(
        client=clients.bolt,  # no token: Bolt takes it from `authorize`
        authorize=deps.access.identity.authorize(),
        signing_secret=signing_secret,
        # HTTP requests are verified at the door (slack.http_route), over the raw bytes and
        # without logging a refused body as Bolt would; Socket Mode has none to check.
        request_verification_enabled=False,
        # Listeners ack, hand the rest to `deps.inflight` and return, so Bolt answers then
        # (Bolt's own background mode polls for the ack every 10 ms).
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )
    listeners.register(app, deps)
    return app
