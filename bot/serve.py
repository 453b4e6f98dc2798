"""`mava-bot run`: serve Slack (Socket Mode or HTTP), run the scheduler, stop cleanly.

On SIGTERM/SIGINT: stop taking new work (HTTP answers 503, the socket closes), let
handlers in flight finish (bounded), stop the scheduler, close clients, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot.observability.logs import configure_logging, secrets_from_settings
from bot.runtime import Runtime
from bot.settings import FOR_RUN, Settings, load_settings

log = logging.getLogger("bot.serve")

DRAIN_SECONDS = 10.0


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    ready: Callable[[Runtime, int], Awaitable[None]] | None = None,
) -> int:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread
            loop.add_signal_handler(sig, stop.set)
    runtime = await Runtime.build(settings)
    await runtime.warm_up()
    # What start-up built (modules, Bolt, SQLAlchemy) lives as long as the process;
    # frozen, it is not walked by every full collection again (those took ~90 ms,
    # stalling acks, under bench/ack_latency.py's bursts).
    gc.freeze()
    socket_handler = None
    runner, port = await runtime.serve_http(settings.host, settings.port)
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            assert settings.slack_app_token is not None
            socket_handler = AsyncSocketModeHandler(
                runtime.app, settings.slack_app_token.get_secret_value()
            )
            await socket_handler.connect_async()
        await runtime.start_background()
        log.info(
            "mava-bot ready: %s; %s; Mava at %s",
            "Socket Mode" if settings.socket_mode else f"HTTP mode on {settings.host}:{port}",
            runtime.describe_deliveries(),
            settings.mava_api_url,
            extra={"mode": "socket" if settings.socket_mode else "http", "port": port},
        )
        if ready is not None:
            await ready(runtime, port)
        await stop.wait()
        log.info("shutting down: finishing work in flight")
        if socket_handler is not None:
            await socket_handler.disconnect_async()
        if not await runtime.drain(DRAIN_SECONDS):
            log.warning("some handlers were still running after %.0f s", DRAIN_SECONDS)
    finally:
        await runtime.stop_background()
        await runner.cleanup()
        if socket_handler is not None:
            await socket_handler.close_async()
        await runtime.close()
    log.info("stopped")
    return 0


def run_cli(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="mava-bot run",
        description="Run the bridge: Socket Mode when SLACK_APP_TOKEN is set, else HTTP "
        "mode on HOST:PORT (POST /slack/events, GET /healthz, GET /metrics).",
    )
    parser.parse_args(argv)
    settings = load_settings(FOR_RUN)  # bad values and missing tokens, all in one pass
    configure_logging(settings.log_level, secrets=secrets_from_settings(settings))
    return run_loop(serve(settings))


def run_loop(main: Coroutine[Any, Any, int]) -> int:
    """asyncio.run on uvloop where it exists (not on Windows): it halves the loop's own
    cost per request, which is most of the time to ack a burst (bench/ack_latency.py)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
