"""A local Mava API server for the demo, the Mava client's tests, benchmarks and
multi-process tests.

`MavaSandbox` holds the state (seeded by `mava_seed`) and implements every endpoint
of docs/mava-api.md and mava-api-notes.md with the documented validation and error
bodies; `create_mava_app` puts it behind aiohttp. Tests drive it in-process
(`add_ticket`, `update`, `inject`, `requests`) or, from another process, through the
unauthenticated `/_sandbox/` admin routes, which the real Mava does not have.

Stored tickets are dicts shaped like the API JSON, with `datetime` dates and ids for
references (see `mava_seed`); `ticket_json` renders the wire form.

This module serves it; the parts live one resource a module: mava_state (the state),
mava_search, mava_messages, mava_directory, mava_ticket_api, mava_dashboard (test
controls), mava_faults, mava_http (routes). Their public names are exported here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from mava_sandbox.mava_http import create_mava_app
from mava_sandbox.mava_model import MavaSandbox
from mava_sandbox.mava_records import Fault, RequestRecord
from mava_sandbox.mava_rules import DEMO_API_KEY, SORT_FIELDS, ApiError, iso, parse_iso
from mava_sandbox.mava_search import TicketQuery, parse_ticket_query

__all__ = [
    "DEMO_API_KEY",
    "SORT_FIELDS",
    "ApiError",
    "Fault",
    "MavaSandbox",
    "RequestRecord",
    "RunningSandbox",
    "TicketQuery",
    "create_mava_app",
    "iso",
    "parse_iso",
    "parse_ticket_query",
    "run_sandbox_cli",
    "running_mava_sandbox",
    "serve_forever",
]


# --- Running it ---------------------------------------------------------------------


@dataclass(frozen=True)
class RunningSandbox:
    url: str  # base URL without /api, e.g. http://127.0.0.1:54321 (what MAVA_API_URL takes)
    sandbox: MavaSandbox

    @property
    def api_key(self) -> str:
        return self.sandbox.api_key


@contextlib.asynccontextmanager
async def running_mava_sandbox(
    sandbox: MavaSandbox | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    **sandbox_options: Any,
) -> AsyncIterator[RunningSandbox]:
    """Serve a sandbox (given, or built from `sandbox_options`) on host:port (0 = any free)."""
    if sandbox is None:
        sandbox = MavaSandbox(**sandbox_options)
    elif sandbox_options:
        raise TypeError("pass a sandbox or options for a new one, not both")
    # handler_cancellation: a hung handler ends when its client gives up.
    runner = web.AppRunner(
        create_mava_app(sandbox), handler_cancellation=True, access_log=None, shutdown_timeout=1.0
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        shown_host = f"[{host}]" if ":" in host else host
        yield RunningSandbox(f"http://{shown_host}:{bound_port}", sandbox)
    finally:
        await runner.cleanup()


async def serve_forever(host: str, port: int, seed: int, tickets: int, api_key: str) -> None:
    """Serve until cancelled; first prints the settings line the bot needs."""
    sandbox = MavaSandbox(seed=seed, tickets=tickets, api_key=api_key)
    async with running_mava_sandbox(sandbox, host=host, port=port) as running:
        print(f"MAVA_API_URL={running.url} MAVA_API_TOKEN={running.api_key}", flush=True)
        print(
            f"Mava sandbox: {tickets} tickets (seed {seed}) at {running.url}. Ctrl-C to stop.",
            flush=True,
        )
        await asyncio.Event().wait()


async def _serve_until_signalled(host: str, port: int, seed: int, tickets: int, key: str) -> None:
    task = asyncio.current_task()
    if task is not None:
        # SIGINT too: asyncio.run handles it only where Python installed its default
        # handler, so started with SIGINT ignored (as a non-interactive shell starts a
        # background job, and all it starts: a test run, its workers) it did nothing.
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
                asyncio.get_running_loop().add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await serve_forever(host, port, seed, tickets, key)


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def run_sandbox_cli(argv: list[str] | None = None) -> int:
    """`mava-bot sandbox [--host H] [--port P] [--seed N] [--tickets N]`."""
    parser = argparse.ArgumentParser(
        prog="mava-bot sandbox",
        description="Run a local Mava API server with seeded demo data.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=_count, default=8000, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=42, help="same seed, same demo data")
    parser.add_argument("--tickets", type=_count, default=300, help="tickets to seed")
    args = parser.parse_args(argv)
    api_key = os.environ.get("MAVA_API_TOKEN") or DEMO_API_KEY
    try:
        asyncio.run(_serve_until_signalled(args.host, args.port, args.seed, args.tickets, api_key))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"Cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(run_sandbox_cli())
