"""The composition root: settings -> clients -> store -> services -> Bolt app and jobs,
built here only, so `mava-bot run`, the demo, the tests and the benchmarks run the same
assembly. The delivery jobs are wired in `jobs`."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.app.jobs import Delivery, build_delivery
from mava_bridge.app.jobs import build_digests as build_digests  # re-exported
from mava_bridge.domain.retry import Stopping
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.lookup import TicketMemory
from mava_bridge.mava.ratelimit import Limiter, SharedLimiter, limiter_for
from mava_bridge.observability.health import health_routes
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.customer_actions import CustomerActions
from mava_bridge.services.follows import FollowService
from mava_bridge.services.outcome import Auditor, Writes
from mava_bridge.services.sla import SlaPolicies
from mava_bridge.services.subscription_actions import SubscriptionActions
from mava_bridge.services.ticket_actions import TicketActions
from mava_bridge.services.tickets import TicketService
from mava_bridge.settings import Settings
from mava_bridge.slack import http_route
from mava_bridge.slack.access import AccessControl, MemberDirectory, receives_dms
from mava_bridge.slack.app import create_app
from mava_bridge.slack.deps import Actions, Deps, InFlight
from mava_bridge.slack.errors import slack_error
from mava_bridge.slack.files_door import FilesDoor
from mava_bridge.slack.poster import AuditChannel, SlackPoster
from mava_bridge.slack.socket_mode import SocketMode
from mava_bridge.slack.web import slack_clients
from mava_bridge.store.db import Database, quiet_cancelled_resets, utcnow
from mava_bridge.store.leader import Leadership
from mava_bridge.store.mava_budget import PostgresBudget
from mava_bridge.store.seen import SeenTickets
from mava_bridge.store.writes import AuditLog, IdempotencyStore, SharedFiles
from mava_bridge.webhooks.door import PATH, webhook_handler

log = logging.getLogger("mava_bridge.app")

WARM_UP_SECONDS = 5.0


class CannotListen(Exception):
    """HOST:PORT cannot be bound: said in one line, and the process exits 2."""


def mava_client(
    settings: Settings,
    metrics: Metrics | None = None,
    memory: TicketMemory | None = None,
    db: Database | None = None,
    stopping: Stopping | None = None,
    after_acks: Callable[[], Awaitable[None]] | None = None,
) -> MavaClient:
    """`metrics` None for one-shot commands (check, preview); with a PostgreSQL `db` its
    sends draw from the budget all replicas share."""
    token = settings.mava_api_token
    if token is None:
        raise ValueError("MAVA_API_TOKEN is not set")
    limiter: Limiter
    if db is not None and not db.is_sqlite:
        limiter = SharedLimiter(
            PostgresBudget.connect(db.url, token.get_secret_value()),
            settings.mava_rate_limit,
            settings.mava_rate_window_seconds,
            fallback_limit=settings.mava_rate_fallback,
        )
    else:
        limiter = limiter_for(settings.mava_rate_limit, settings.mava_rate_window_seconds)
    return MavaClient(
        str(settings.mava_api_url),
        token,
        timeout=settings.mava_timeout_seconds,
        limiter=limiter,
        observer=metrics.mava_observer if metrics else None,
        wait_observer=metrics.observe_ratelimit_wait if metrics else None,
        memory=memory,
        sleep=stopping.sleep if stopping is not None else asyncio.sleep,
        unreadable_observer=metrics.observe_unreadable_ticket if metrics else None,
        after_acks=after_acks,
    )


@dataclass
class Bridge:
    """The whole running bridge, built by `Bridge.build(settings)`."""

    settings: Settings
    db: Database
    mava: MavaClient
    slack: AsyncWebClient
    metrics: Metrics
    deps: Deps
    app: AsyncApp
    delivery: Delivery
    leadership: Leadership
    session: aiohttp.ClientSession  # the Slack clients' HTTP session, closed by `close`
    socket_mode: SocketMode | None  # with SLACK_APP_TOKEN; started by serve
    stopping: Stopping  # the Mava client's and poster's: set by `drain`, retry waits end

    @classmethod
    async def build(
        cls,
        settings: Settings,
        *,
        metrics: Metrics | None = None,
        pauses_collector: bool = False,  # `mava-bot run`: no collection while acking
    ) -> Bridge:
        metrics = metrics or Metrics()
        stopping = Stopping()
        db = Database(settings.database_url)
        quiet_cancelled_resets(db)  # work cancelled at shutdown: one INFO line
        await db.migrate()
        # The doors' handed-off work; background jobs and Mava reads wait for its acks.
        inflight = InFlight(pauses_collector=pauses_collector)
        mava = mava_client(settings, metrics, SeenTickets(db), db, stopping, inflight.after_acks)
        # Answers (hooks.slack.com), the Web API (slack.com) and file downloads share it:
        # bounded per host, so answers Slack is slow to take cannot hold every connection.
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, limit_per_host=100))
        clients = slack_clients(settings, session)
        leadership = Leadership(db, check_seconds=settings.leader_check_seconds)
        # One store of "said once" keys: actions, Slack event ids, housekeeping's purge.
        idempotency = IdempotencyStore(db, settings.idempotency_window_seconds)
        access = AccessControl(
            clients.bot,
            db,
            allowed_users=settings.allowed_slack_user_ids,
            allowed_groups=settings.allowed_slack_usergroup_ids,
            ttl_seconds=settings.user_cache_ttl_seconds,
        )
        delivery = build_delivery(
            settings,
            mava,
            db,
            SlackPoster(clients.poster, metrics=metrics, sleep=stopping.sleep),
            metrics=metrics,
            idempotency=idempotency,
            should_run=leadership.is_leader,
            owner=leadership.name,
            members=MemberDirectory(clients.bot).user_for_email,
            may_receive=receives_dms(access),  # no DM to a guest
            after_acks=inflight.after_acks,
        )
        # What the listeners use: the services (every action once and audited: the row,
        # then AUDIT_CHANNEL), access control and the delivery parts `/mava` reaches.
        tickets = TicketService(mava, link=settings.ticket_url, db=db)
        audit = AuditLog(db)
        channel = settings.audit_channel
        auditor = Auditor(audit, AuditChannel(clients.bot, channel) if channel else None)
        writes = Writes(idempotency, auditor)
        # Assignments from Slack tell the desk's DMs (a DM, or none to oneself).
        ticket_actions = TicketActions(mava, tickets, writes, delivery.desk.dms, db=db)
        subs = delivery.subscriptions
        deps = Deps(
            settings=settings,
            db=db,
            inflight=inflight,
            tickets=tickets,
            access=access,
            audit=audit,
            subscriptions=subs,
            metrics=metrics,
            actions=Actions(
                auditor,
                ticket_actions,
                CustomerActions(mava, writes),
                SubscriptionActions(subs, delivery.digests, auditor, tickets),
                SlaPolicies(db, auditor, zone=settings.digest_timezone),
            ),
            follows=FollowService(db, auditor, idempotency, clock=utcnow),
            board=delivery.board,
            set_notify=delivery.desk.dms.set_notify,
            shared_files=SharedFiles(db) if settings.public_url else None,
            reports=delivery.reports.now,
        )
        app = create_app(settings, clients, deps)
        socket_mode = None
        if settings.slack_app_token is not None:
            socket_mode = SocketMode(
                app,
                settings.slack_app_token.get_secret_value(),
                unhealthy_after=settings.socket_mode_unhealthy_seconds,
                metrics=metrics,
                inflight=deps.inflight,
                client=clients.bot,
            )
        return cls(
            settings,
            db,
            mava,
            clients.bot,
            metrics,
            deps,
            app,
            delivery,
            leadership,
            session,
            socket_mode,
            stopping,
        )

    async def warm_up(self) -> None:
        """Ask Slack who the bot is before taking requests."""
        try:
            await asyncio.wait_for(self.deps.access.identity.auth_test(), WARM_UP_SECONDS)
        except Exception as exc:  # not fatal: the first request asks again
            log.warning(
                "Slack auth.test failed at start (%s); requests will ask again", slack_error(exc)
            )

    async def start_background(self) -> None:
        """The leader election, then the scheduler (its jobs run on the leader only)."""
        await self.leadership.start()
        await self.delivery.scheduler.start()
        if self.delivery.nudges is not None:
            await self.delivery.nudges.start()

    async def stop_background(self) -> None:
        try:
            if self.delivery.nudges is not None:
                await self.delivery.nudges.stop()
            await self.delivery.scheduler.shutdown(0.0)  # a no-op after `drain`
        finally:
            await self.leadership.stop()  # after the jobs in flight, so no overlap

    def describe_deliveries(self) -> str:
        s = self.settings
        digest = (
            f"digest to {s.digest_channel} at '{s.digest_schedule}' {s.digest_timezone}"
            if s.digest_channel
            else "no default digest (DIGEST_CHANNEL unset)"
        )
        alerts = (
            f"alerts to {s.alert_channel} (priority >= {s.alert_min_priority}"
            + (", or unassigned)" if s.alert_unassigned else ")")
            if s.alert_channel
            else "no default alerts (ALERT_CHANNEL unset)"
        )
        return f"{digest}; {alerts}; per-channel subscriptions from the database"

    def web_app(self) -> web.Application:
        """Health, metrics, shared files (PUBLIC_URL) and Mava's webhooks (its key set);
        `/slack/events` in HTTP mode only, so in Socket Mode an unsigned POST gets 404."""
        application = web.Application(client_max_size=http_route.MAX_BODY_BYTES)
        if not self.settings.socket_mode:
            secret = self.settings.slack_signing_secret
            route = http_route.SlackEventsRoute(
                self.app,
                signing_secret=secret.get_secret_value() if secret is not None else None,
                inflight=self.deps.inflight,
                metrics=self.metrics,
                client=self.slack,
            )
            application.router.add_post("/slack/events", route.handle)
        if self.settings.public_url and self.deps.shared_files:
            files_door = FilesDoor(
                self.deps.shared_files,
                self.slack,
                self.session,
                max_bytes=int(self.settings.file_max_mb * 1024 * 1024),
            )
            application.add_routes(files_door.routes())
        if self.delivery.nudges is not None:  # MAVA_WEBHOOK_SIGNING_KEY set; both modes
            poke, inflight = self.delivery.nudges.poke, self.deps.inflight
            handle = webhook_handler(self.settings, self.db, poke, inflight)
            application.router.add_post(PATH, handle)
        application.add_routes(
            health_routes(
                {"database": self.db.ping}
                | ({"slack_socket": self.socket_mode.check} if self.socket_mode else {}),
                self.metrics,
                is_shutting_down=lambda: self.deps.inflight.closing,
            )
        )
        return application

    async def serve_http(self, host: str, port: int) -> tuple[web.AppRunner, int]:
        """The runner and the bound port (port 0 picks one)."""
        runner = web.AppRunner(
            self.web_app(),
            access_log=None,
            # aiohttp's keep-alive timer also closes a connection whose request line and
            # headers never finish (its only header-read bound; 3630 s by default).
            keepalive_timeout=http_route.READ_TIMEOUT_SECONDS,
            # After an early answer (413, 408) read what is left for at most this long.
            lingering_time=2.0,
            # Requests still open after the drain: Slack retries them elsewhere.
            shutdown_timeout=1.0,
        )
        http_route.quiet_parse_errors()  # a 100 KB header: its 400 and one short line
        await runner.setup()
        # Slack opens many connections at once in a burst; aiohttp's default listen
        # backlog of 128 lets the kernel reset the rest before we can accept them.
        site = web.TCPSite(runner, host, port, backlog=http_route.LISTEN_BACKLOG)
        try:
            await site.start()
        except OSError as exc:  # a port in use, a HOST not of this machine, no permission
            await runner.cleanup()
            cause = os.strerror(exc.errno) if exc.errno else type(exc).__name__
            raise CannotListen(f"cannot listen on {host}:{port}: {cause.lower()}") from None
        return runner, int(runner.addresses[0][1])

    async def drain(self, grace: float) -> bool:
        """Stop taking new work, end retry waits, let work in flight finish within `grace`
        seconds and cancel what outlives it (False)."""
        self.deps.inflight.closing = True
        self.stopping.set()
        handlers, jobs = await asyncio.gather(
            self.deps.inflight.finish(grace), self.delivery.scheduler.shutdown(grace)
        )
        return handlers and jobs

    async def close(self) -> None:
        if self.socket_mode is not None:
            await self.socket_mode.close()
        await self.delivery.board.close()
        await self.mava.aclose()
        await self.db.dispose()
        if not self.session.closed:
            await self.session.close()
