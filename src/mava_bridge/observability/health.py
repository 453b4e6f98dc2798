"""`GET /healthz` and `GET /metrics`. `/healthz` answers 200 only while every check passes
within a short timeout, and 503 at once during shutdown, so a load balancer stops sending
to a draining replica. Reasons are short and redacted: it may face the internet."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from aiohttp import web

from mava_bridge.observability.logs import redact
from mava_bridge.observability.metrics import Metrics

log = logging.getLogger(__name__)

HealthCheck = Callable[[], Awaitable[None]]

DEFAULT_TIMEOUT: Final = 2.0
_REASON_LIMIT: Final = 120
_NO_STORE: Final = {"Cache-Control": "no-store"}


def failure_reason(exc: BaseException) -> str:
    """`ErrorType: first line of the message`, redacted and cut short."""
    lines = str(exc).strip().splitlines()
    detail = redact(lines[0].strip()) if lines else ""
    reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return reason if len(reason) <= _REASON_LIMIT else reason[: _REASON_LIMIT - 1] + "…"


async def run_check(name: str, check: HealthCheck, limit: float) -> str:
    """Return "ok" or "error: <reason>"; the full failure goes to the (private) log."""
    try:
        async with asyncio.timeout(limit):
            await check()
    except TimeoutError:
        log.warning("health check timed out", extra={"check": name, "limit_s": limit})
        return f"error: timed out after {limit:g} s"
    except Exception as exc:
        # The reason names the error; a traceback on every probe (Docker asks every 30 s
        # while Slack is unreachable) only at DEBUG.
        log.warning(
            "health check failed: %s",
            failure_reason(exc),
            extra={"check": name},
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        return f"error: {failure_reason(exc)}"
    return "ok"


def health_routes(
    checks: Mapping[str, HealthCheck],
    metrics: Metrics,
    *,
    is_shutting_down: Callable[[], bool],
    timeout: float = DEFAULT_TIMEOUT,
) -> list[web.RouteDef]:
    """`GET /healthz` (`checks`, each raising when unhealthy, run concurrently) and
    `GET /metrics`."""

    def shutting_down() -> web.Response:
        return web.json_response({"status": "shutting_down"}, status=503, headers=_NO_STORE)

    async def healthz(_request: web.Request) -> web.Response:
        if is_shutting_down():
            return shutting_down()
        names = list(checks)
        results = await asyncio.gather(*(run_check(n, checks[n], timeout) for n in names))
        if is_shutting_down():  # it may have begun while the checks ran
            return shutting_down()
        healthy = all(result == "ok" for result in results)
        report = dict(zip(names, results, strict=True))
        body = {"status": "ok" if healthy else "unavailable", "checks": report}
        return web.json_response(body, status=200 if healthy else 503, headers=_NO_STORE)

    async def metrics_handler(_request: web.Request) -> web.Response:
        payload, content_type = metrics.render()
        return web.Response(body=payload, headers={"Content-Type": content_type, **_NO_STORE})

    return [web.get("/healthz", healthz), web.get("/metrics", metrics_handler)]
