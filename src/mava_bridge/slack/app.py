"""The Bolt app factory: `create_app(settings, mava, store)`; no module globals."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.mava.client import MavaClient
from mava_bridge.services.tickets import TicketService
from mava_bridge.settings import Settings
from mava_bridge.slack.access import AccessControl
from mava_bridge.slack.deps import Deps
from mava_bridge.slack.identity import BotIdentity
from mava_bridge.slack.listeners import actions, commands, shortcuts, views
from mava_bridge.slack.web import SlackClients, slack_clients
from mava_bridge.store.audit import AuditLog
from mava_bridge.store.db import Database
from mava_bridge.store.idempotency import IdempotencyStore

log = logging.getLogger("mava_bridge.slack")


def build_deps(
    settings: Settings,
    mava: MavaClient,
    store: Database,
    client: AsyncWebClient,
    **overrides: Any,
) -> Deps:
    identity = overrides.pop("identity", None) or BotIdentity(client)
    defaults: dict[str, Any] = {
        "settings": settings,
        "tickets": TicketService(mava),
        "identity": identity,
        "access": AccessControl(
            client,
            store,
            identity,
            allowed_users=settings.allowed_slack_user_ids,
            allowed_groups=settings.allowed_slack_usergroup_ids,
            ttl_seconds=settings.user_cache_ttl_seconds,
        ),
        "audit": AuditLog(store),
        "idempotency": IdempotencyStore(store, settings.idempotency_window_seconds),
    }
    defaults.update(overrides)
    return Deps(**defaults)


def create_app(
    settings: Settings,
    mava: MavaClient,
    store: Database,
    *,
    clients: SlackClients | None = None,
    deps: Deps | None = None,
    **overrides: Any,
) -> AsyncApp:
    """The Bolt app with every listener registered.

    Pass `deps` (from `build_deps`) when the caller needs the services too, e.g. the
    runtime's scheduler and shutdown; keyword overrides replace single fields.
    """
    clients = clients or slack_clients(settings)
    deps = deps or build_deps(settings, mava, store, clients.bot, **overrides)
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
    for module in (commands, shortcuts, actions, views):
        module.register(app, deps)
    return app
