"""Metrics render under their public names; /healthz tells the truth over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.ratelimit import RateLimiter
from mava_bridge.observability.health import HealthCheck, failure_reason, health_routes
from mava_bridge.observability.metrics import Metrics, endpoint_label
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import RunningSandbox


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


# --- metrics --------------------------------------------------------------------------


def test_render_exposes_every_metric_by_its_public_name() -> None:
    metrics = Metrics(process_metrics=False)
    metrics.observe_slack_request("command", "reply", "ok", ack_seconds=0.004)
    metrics.observe_slack_request("shortcut", "add_private_note", "denied")
    metrics.mava_observer("/api/tickets", "200", 0.12)
    metrics.observe_ratelimit_wait(0.0)
    metrics.alerts_delivered.inc()
    metrics.digest_items_delivered.inc(5)
    metrics.observe_slack_retry("rate_limited")
    metrics.poll_started()

    body, content_type = metrics.render()
    text = body.decode()
    assert content_type.startswith("text/plain")
    for line in (
        'slack_requests_total{kind="command",name="reply",outcome="ok"} 1.0',
        'slack_requests_total{kind="shortcut",name="add_private_note",outcome="denied"} 1.0',
        'slack_ack_seconds_bucket{le="0.005"} 1.0',
        "slack_ack_seconds_count 1.0",
        'mava_requests_total{endpoint="/api/tickets",status="200"} 1.0',
        'mava_request_seconds_bucket{endpoint="/api/tickets",le="0.25"} 1.0',
        'mava_ratelimit_wait_seconds_bucket{le="0.001"} 1.0',
        "alerts_delivered_total 1.0",
        "digest_items_delivered_total 5.0",
        'slack_post_retries_total{reason="rate_limited"} 1.0',
    ):
        assert line in text, line
    assert "# TYPE poll_lag_seconds gauge" in text
    assert "process_" not in text


def test_ack_histogram_is_fine_grained_below_100_ms() -> None:
    text = Metrics(process_metrics=False).render()[0].decode()
    below = ("0.001", "0.005", "0.01", "0.025", "0.05", "0.075", "0.1")
    found = [le for le in below if f'slack_ack_seconds_bucket{{le="{le}"}}' in text]
    assert len(found) >= 5, found
    assert 'slack_ack_seconds_bucket{le="3.0"}' in text  # Slack's deadline


def test_each_instance_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()  # would raise "Duplicated timeseries" if shared
    first.alerts_delivered.inc()
    assert sample(first, "alerts_delivered_total") == 1.0
    assert sample(second, "alerts_delivered_total") == 0.0
    assert b"process_" in first.render()[0]


def test_poll_lag_counts_from_the_last_success() -> None:
    now = [100.0]
    metrics = Metrics(process_metrics=False, clock=lambda: now[0])
    assert math.isnan(sample(metrics, "poll_lag_seconds") or 0.0)  # not polling here
    metrics.poll_started()
    now[0] = 130.0
    assert sample(metrics, "poll_lag_seconds") == 30.0
    metrics.poll_succeeded()
    now[0] = 135.0
    assert sample(metrics, "poll_lag_seconds") == 5.0
    metrics.poll_started()  # already polling: does not reset the lag
    assert sample(metrics, "poll_lag_seconds") == 5.0
    metrics.poll_stopped()
    assert math.isnan(sample(metrics, "poll_lag_seconds") or 0.0)


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/api/tickets", "/api/tickets"),
        ("/api/ticket?id=1", "/api/ticket"),
        ("/api/ticket/66f0c1d2e3a4b5c6d7e8f901", "/api/ticket/:id"),
        ("/api/ticket/12345/messages", "/api/ticket/:id/messages"),
    ],
)
def test_endpoint_labels_stay_bounded(path: str, label: str) -> None:
    assert endpoint_label(path) == label


async def test_mava_observer_fits_the_client(mava_sandbox: RunningSandbox) -> None:
    metrics = Metrics(process_metrics=False)
    client = MavaClient(
        mava_sandbox.url,
        mava_sandbox.api_key,
        limiter=RateLimiter(90, 30.0),
        observer=metrics.mava_observer,
    )
    try:
        await client.list_categories()
    finally:
        await client.aclose()
    assert sample(metrics, "mava_requests_total", endpoint="/api/categories", status="200") == 1
    assert sample(metrics, "mava_request_seconds_count", endpoint="/api/categories") == 1


# --- health ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def served(
    checks: Mapping[str, HealthCheck], *, check_timeout: float = 2.0
) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], asyncio.Event]]:
    """health_routes on a loopback port; set the event to begin shutdown."""
    shutdown = asyncio.Event()
    metrics = Metrics(process_metrics=False)
    metrics.observe_slack_request("view", "reply_modal", "ok")
    app = web.Application()
    app.add_routes(
        health_routes(checks, metrics, is_shutting_down=shutdown.is_set, timeout=check_timeout)
    )
    async with TestClient(TestServer(app)) as client:
        yield client, shutdown


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'health.db'}")
    yield db
    await db.dispose()


async def test_healthz_is_ok_while_the_database_answers(database: Database) -> None:
    async with served({"database": database.ping}) as (client, _):
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok", "checks": {"database": "ok"}}
        assert response.headers["Cache-Control"] == "no-store"


async def test_healthz_is_unavailable_when_the_database_cannot_be_opened(
    tmp_path: Path,
) -> None:
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'bot.db'}")
    before = set(threading.enumerate())
    try:
        async with served({"database": broken.ping}) as (client, _):
            response = await client.get("/healthz")
            body = await response.json()
    finally:
        await broken.dispose()
        # aiosqlite stops a connection that failed to open without waiting for it: its
        # thread then answers a future of this loop, and raised "Event loop is closed"
        # in a later test when this loop had closed first. Let it finish here.
        for thread in set(threading.enumerate()) - before:
            if "_connection_worker_thread" in thread.name:
                await asyncio.to_thread(thread.join, 30)
                assert not thread.is_alive()
    assert response.status == 503
    assert body["status"] == "unavailable"
    reason = body["checks"]["database"]
    assert reason.startswith("error: OperationalError: ")
    assert "unable to open database file" in reason
    assert "\n" not in reason and "[SQL" not in reason
    assert len(reason) <= 130


async def test_failure_reasons_are_short_and_redacted(database: Database) -> None:
    async def leaky() -> None:
        raise RuntimeError(
            "login failed with xoxb-1-2-secret and x-auth-token: abc123\nsecond line"
        )

    async with served({"database": database.ping, "mava": leaky}) as (client, _):
        response = await client.get("/healthz")
        body = await response.json()
    assert response.status == 503
    assert body == {
        "status": "unavailable",
        "checks": {
            "database": "ok",
            "mava": "error: RuntimeError: login failed with [redacted] and "
            "x-auth-token: [redacted]",
        },
    }
    assert len(failure_reason(ValueError("x" * 500))) <= 120


async def test_a_check_that_hangs_fails_after_the_timeout(database: Database) -> None:
    async def hangs() -> None:
        await asyncio.sleep(30)

    async with served({"database": database.ping, "slow": hangs}, check_timeout=0.5) as (
        client,
        _,
    ):
        started = asyncio.get_running_loop().time()
        response = await client.get("/healthz")
        body = await response.json()
        elapsed = asyncio.get_running_loop().time() - started
    assert response.status == 503
    assert body["checks"] == {"database": "ok", "slow": "error: timed out after 0.5 s"}
    assert elapsed < 10  # well before the hang ends: generous for a loaded machine


async def test_healthz_says_shutting_down_without_running_checks() -> None:
    calls = 0

    async def counted() -> None:
        nonlocal calls
        calls += 1

    async with served({"database": counted}) as (client, shutdown):
        assert (await client.get("/healthz")).status == 200
        shutdown.set()
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "shutting_down"}
    assert calls == 1


async def test_shutdown_that_begins_during_the_checks_wins() -> None:
    shutdown_ref: list[asyncio.Event] = []

    async def shutdown_meanwhile() -> None:
        shutdown_ref[0].set()

    async with served({"database": shutdown_meanwhile}) as (client, shutdown):
        shutdown_ref.append(shutdown)
        response = await client.get("/healthz")
        assert response.status == 503
        assert await response.json() == {"status": "shutting_down"}


async def test_metrics_endpoint_serves_the_exposition_format() -> None:
    async with served({}) as (client, _):
        response = await client.get("/metrics")
        text = await response.text()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert 'slack_requests_total{kind="view",name="reply_modal",outcome="ok"} 1.0' in text


async def test_production_paths_move_the_delivery_metrics(
    mava_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """An alert poll (with a Slack 429 retried) and a digest, run by the real runtime,
    show on /metrics: nothing declared there stays 0 or NaN on the production path."""
    from mava_bridge.app import Bridge
    from mava_sandbox.slack_stub import running_slack_stub
    from mava_sandbox.stack import stack_settings

    async with running_slack_stub() as slack:
        settings = stack_settings(
            mava_sandbox,
            slack,
            f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            alert_channel="C0ALERTS",
            digest_channel="C0DIGEST",
        )
        runtime = await Bridge.build(settings, metrics=Metrics(process_metrics=False))
        runner, port = await runtime.serve_http("127.0.0.1", 0)
        try:
            scheduler = runtime.delivery.scheduler
            assert math.isnan(sample(runtime.metrics, "poll_lag_seconds") or 0.0)
            await scheduler.run_poll()  # the first poll only notes what exists
            mava_sandbox.sandbox.add_ticket(priority=3, status="Open")
            slack.rate_limit("chat.postMessage", times=1, retry_after=0)
            report = await scheduler.run_poll()
            assert report is not None and report.alerted == 1
            result = await runtime.delivery.digests.post("C0DIGEST")
            assert result.ok and result.ticket_count > 0

            async with httpx.AsyncClient() as client:
                text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            assert "alerts_delivered_total 1.0" in text
            assert f"digest_items_delivered_total {float(result.ticket_count)}" in text
            assert 'slack_post_retries_total{reason="rate_limited"} 1.0' in text
            lag = sample(runtime.metrics, "poll_lag_seconds")
            assert lag is not None and 0.0 <= lag < 60.0
            await scheduler.shutdown()
            assert math.isnan(sample(runtime.metrics, "poll_lag_seconds") or 0.0)
        finally:
            await runner.cleanup()
            await runtime.close()
