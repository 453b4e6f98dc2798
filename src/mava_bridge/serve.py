"""`mava-bot run`. On SIGTERM/SIGINT, in any state (also while Slack cannot be reached):
stop taking new work (HTTP answers 503, no new socket), let work in flight finish while
retry waits end at once, cancel what still runs DRAIN_SECONDS after the signal, exit 0
within EXIT_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Coroutine
from typing import Any

from mava_bridge.app import Bridge, CannotListen
from mava_bridge.observability.logs import configure_logging
from mava_bridge.settings import FOR_RUN, Settings, drop_secrets_from_environment, load_settings
from mava_bridge.store.db import UnknownRevision

log = logging.getLogger("mava_bridge.serve")

# `docker stop` sends SIGKILL 10 s after SIGTERM (Kubernetes: 30 s). The drain, then the
# unwinding of what it cancels (CANCEL_SECONDS: among it, telling people their command was
# cut off) and closing the HTTP runner (1 s) must fit in that, or those people are never
# told. With a 10 s drain, a bot with a hung Mava call exited 10.1 s after SIGTERM.
EXIT_SECONDS = 10.0
DRAIN_SECONDS = 7.0


async def serve(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(sig, stop.set)
    # No garbage collection while a burst is acked (slack.inflight).
    bridge = await Bridge.build(settings, pauses_collector=True)
    # A signal during start-up ends the wait for Slack at once (it may be unreachable).
    await until_stopped(bridge.warm_up(), stop)
    # What start-up built (modules, Bolt, SQLAlchemy) lives as long as the process;
    # frozen, it is not walked by every full collection again (those took ~90 ms,
    # stalling acks, under bench/ack_latency.py's bursts).
    gc.freeze()
    try:
        runner, port = await bridge.serve_http(settings.host, settings.port)
    except CannotListen:
        await bridge.close()
        raise
    try:
        if bridge.socket_mode is not None and not stop.is_set():
            # In the background: nothing waits for Slack; /healthz tells whether it is up.
            await bridge.socket_mode.start()
        await bridge.start_background()
        log.info(
            "mava-bot ready: %s; %s; Mava at %s",
            "Socket Mode (connecting to Slack)"
            if settings.socket_mode
            else f"HTTP mode on {settings.host}:{port}",
            bridge.describe_deliveries(),
            settings.mava_api_url,
            extra={"mode": "socket" if settings.socket_mode else "http", "port": port},
        )
        await stop.wait()
        deadline = loop.time() + DRAIN_SECONDS  # the whole shutdown's bound
        log.info("shutting down: finishing work in flight")
        if bridge.socket_mode is not None:
            await bridge.socket_mode.stop()  # no new socket from here on
        if not await bridge.drain(deadline - loop.time()):
            log.warning("work still running after %.0f s was cancelled", DRAIN_SECONDS)
    finally:
        await bridge.stop_background()
        await runner.cleanup()
        await bridge.close()
    log.info("stopped")
    return 0


async def until_stopped(work: Awaitable[Any], stop: asyncio.Event) -> None:
    """Await `work` unless `stop` is set first (then `work` is cancelled)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, stopping):
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending


def run_cli(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="mava-bot run",
        description="Run the bridge: Socket Mode when SLACK_APP_TOKEN is set, else HTTP "
        "mode on HOST:PORT (POST /slack/events, GET /healthz, GET /metrics).",
    )
    parser.parse_args(argv)
    settings = load_settings(FOR_RUN)  # bad values and missing tokens, all in one pass
    drop_secrets_from_environment()
    configure_logging(settings.log_level, secrets=settings.secret_values())
    try:
        return run_loop(serve(settings))
    except CannotListen as exc:  # PORT taken by another process, or HOST not ours
        print(
            f"mava-bot cannot start: {exc} (set PORT, or HOST, to an address that is free "
            "on this machine, or stop what uses it)",
            file=sys.stderr,
        )
        return 2
    except UnknownRevision as exc:  # a rollback of the code alone
        print(
            f"mava-bot cannot start: the database schema is at revision {exc}, which this "
            "version does not know (a newer mava-bot migrated it): run that version, or "
            "restore the backup taken before the upgrade (README, Upgrade and rollback)",
            file=sys.stderr,
        )
        return 2


def run_loop(main: Coroutine[Any, Any, int]) -> int:
    """On uvloop where it exists (not on Windows): it halves the loop's own cost per
    request, most of the time to ack a burst (bench/ack_latency.py)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
