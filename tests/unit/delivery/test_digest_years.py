"""DIGEST_MAX_YEARS: how many one-year windows back a digest looks (issue #12). An open
ticket older than that is not listed; raising the setting lists it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.app import build_digests
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.mava.client import MavaClient
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.settings import Settings, read_settings
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

DIGESTS = "C0YEARS"


async def _collect(years: int | None, mava: MavaClient, db: Database, stub: SlackStub) -> set[str]:
    chosen = {} if years is None else {"digest_max_years": years}
    settings = Settings(_env_file=None, digest_channel=DIGESTS, **chosen)
    metrics = Metrics(process_metrics=False)
    slack = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    poster = SlackPoster(
        slack, metrics=metrics, min_interval=0.0, retry=replace(SLACK_RETRY, base_delay=0.001)
    )
    digests = build_digests(
        settings,
        mava,
        db,
        poster,
        lookback=poster,
        metrics=metrics,
        subscriptions=SubscriptionService(db, settings),
    )
    return {t.id for t in await digests.collect()}


async def test_an_open_ticket_older_than_the_setting_is_listed_once_raised(
    mava_sandbox: RunningSandbox, mava: MavaClient, db: Database, stub: SlackStub
) -> None:
    sandbox = mava_sandbox.sandbox
    now = sandbox.now()
    at = {
        years: str(sandbox.add_ticket(status="Open", createdAt=now - timedelta(days=days))["_id"])
        for years, days in ((1, 500), (2, 900), (5, 2000))  # in year 1, 2 and 5 back
    }
    sandbox.add_ticket(status="Open", createdAt=now - timedelta(days=1200))  # year 3
    sandbox.add_ticket(status="Open", createdAt=now - timedelta(days=1500))  # year 4

    def oldest_window_start() -> datetime:
        starts = [dict(r.query)["startDate"] for r in sandbox.requests if r.path == "/api/tickets"]
        return min(datetime.fromisoformat(start) for start in starts)

    sandbox.reset_requests()
    two = await _collect(2, mava, db, stub)
    assert at[1] in two and at[2] not in two  # 900 days is in the third year back
    assert oldest_window_start() > now - timedelta(days=2 * 365 + 1)  # no third window
    three = await _collect(3, mava, db, stub)
    assert {at[1], at[2]} <= three and at[5] not in three
    default = await _collect(None, mava, db, stub)  # 5 years: up to 1825 days back
    assert {at[1], at[2]} <= default and at[5] not in default
    six = await _collect(6, mava, db, stub)
    assert set(at.values()) <= six


def test_the_setting_is_at_least_one_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_MAX_YEARS", "0")
    settings, problems = read_settings(_env_file=None)
    assert settings is None
    (line,) = problems
    assert "DIGEST_MAX_YEARS" in line and "at least 1" in line
    monkeypatch.setenv("DIGEST_MAX_YEARS", "12")
    settings, problems = read_settings(_env_file=None)
    assert problems == [] and settings is not None and settings.digest_max_years == 12
    monkeypatch.delenv("DIGEST_MAX_YEARS")
    assert Settings(_env_file=None).digest_max_years == 5
