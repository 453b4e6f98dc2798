"""Digests and subscriptions against the Mava sandbox and the Slack stub."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from mava_bridge.app import build_digests
from mava_bridge.delivery.digests import DigestService
from mava_bridge.domain.filters import Filters
from mava_bridge.domain.retry import SLACK_RETRY
from mava_bridge.domain.schedule import Schedule
from mava_bridge.mava.client import MavaClient
from mava_bridge.mava.models import Origin, Priority
from mava_bridge.observability.metrics import Metrics
from mava_bridge.services.subscriptions import (
    SubscriptionError,
    SubscriptionService,
)
from mava_bridge.settings import Settings
from mava_bridge.slack.poster import SlackPoster
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub

DIGESTS = "C0DIGEST"


async def _no_sleep(_seconds: float) -> None:
    return None


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"digest_channel": DIGESTS, "digest_timezone": "Europe/Berlin"}
    values.update(overrides)
    return Settings(_env_file=None, **values)


def make_service(
    mava: MavaClient, db: Database, stub: SlackStub, settings: Settings, **options: Any
) -> DigestService:
    client = AsyncWebClient(token=DEFAULT_BOT_TOKEN, base_url=stub.api_url)
    metrics = options.pop("metrics", None) or Metrics(process_metrics=False)
    retry = replace(SLACK_RETRY, base_delay=0.001)
    poster = SlackPoster(client, metrics=metrics, min_interval=0.0, retry=retry, sleep=_no_sleep)
    subscriptions = options.pop("subscriptions", None) or SubscriptionService(db, settings)
    return build_digests(
        settings,
        mava,
        db,
        poster,
        lookback=poster,
        metrics=metrics,
        subscriptions=subscriptions,
        **options,
    )


def open_unassigned(running: RunningSandbox) -> set[str]:
    """What the sandbox itself says the digest must hold."""
    since = datetime.now(UTC) - timedelta(days=364)
    return {
        t["_id"]
        for t in running.sandbox.tickets
        if t["status"] != "Resolved" and t["assignedTo"] is None and t["createdAt"] > since
    }


def ticket_ids(messages: list[dict[str, Any]]) -> list[str]:
    return [
        str(block["block_id"]).removeprefix("ticket:")
        for message in messages
        for block in message.get("blocks") or []
        if str(block.get("block_id", "")).startswith("ticket:")
    ]


async def test_digest_lists_exactly_the_open_unassigned_tickets(
    mava: MavaClient, db: Database, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    service = make_service(mava, db, stub, make_settings())
    expected = open_unassigned(mava_sandbox)
    assert len(expected) > 15  # more than one message holds

    tickets = await service.collect()
    assert {t.id for t in tickets} == expected

    result = await service.post(DIGESTS)
    assert result.ok and result.status == "posted"
    assert result.ticket_count == len(expected)
    messages = stub.messages(DIGESTS)
    assert [c.ok for c in stub.calls("chat.postMessage")] == [True] * len(messages)
    shown = ticket_ids(messages)
    assert sorted(shown) == sorted(expected)  # each exactly once
    top, *replies = messages
    assert result.message_ts == top["ts"]
    assert replies and all(m.get("thread_ts") == top["ts"] for m in replies)
    assert result.replies == len(replies)
    assert all(len(m["blocks"]) <= 50 for m in messages)
    assert f"*{len(expected)} tickets*" in str(top["blocks"])
    assert "more in the thread" in str(top["blocks"])
    # High priority first, then oldest first within a priority.
    by_id = {t.id: t for t in tickets}
    order = [(-(by_id[i].priority_level or 0), by_id[i].created_at) for i in shown]
    assert order == sorted(order)


async def test_large_backlog_goes_to_the_thread(
    mava: MavaClient, db: Database, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    for n in range(60):
        mava_sandbox.sandbox.add_ticket(priority=1 + n % 3, messages=["x" * 3000])
    service = make_service(mava, db, stub, make_settings())
    result = await service.post(DIGESTS)
    messages = stub.messages(DIGESTS)
    assert result.ok
    assert len(messages) == 1 + result.replies
    assert sorted(ticket_ids(messages)) == sorted(open_unassigned(mava_sandbox))
    assert all(len(str(b.get("text", ""))) < 3100 for m in messages for b in m["blocks"])


async def test_past_max_messages_the_rest_is_a_link(
    mava: MavaClient, db: Database, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    service = make_service(mava, db, stub, make_settings())
    service.max_messages = 2
    result = await service.post(DIGESTS)
    messages = stub.messages(DIGESTS)
    assert len(messages) == 2
    shown = len(ticket_ids(messages))
    assert shown < result.ticket_count
    assert f"and {result.ticket_count - shown} more" in str(messages[-1]["blocks"])


async def test_empty_digest_says_so_or_is_skipped(
    mava: MavaClient, db: Database, stub: SlackStub
) -> None:
    nothing = Filters(unassigned_only=True, categories=("No such category",))
    service = make_service(mava, db, stub, make_settings())
    result = await service.post(DIGESTS, nothing)
    assert result.status == "posted" and result.ticket_count == 0
    [message] = stub.messages(DIGESTS)
    assert "Nothing waiting" in str(message["blocks"])

    skipping = make_service(mava, db, stub, make_settings(digest_skip_empty=True))
    skipped = await skipping.post(DIGESTS, nothing, run_key="sub:1@2026-01-05T08:00Z")
    assert skipped.status == "skipped_empty" and skipped.ok
    assert len(stub.messages(DIGESTS)) == 1
    # Asked for by hand (/mava digest), an empty digest is still posted.
    assert (await skipping.post(DIGESTS, nothing)).status == "posted"


async def test_run_key_posts_a_scheduled_run_once(
    mava: MavaClient, db: Database, stub: SlackStub
) -> None:
    service = make_service(mava, db, stub, make_settings())
    first = await service.post(DIGESTS, run_key="settings:digest:C0DIGEST@2026-01-05T08:00Z")
    again = await make_service(mava, db, stub, make_settings()).post(
        DIGESTS, run_key="settings:digest:C0DIGEST@2026-01-05T08:00Z"
    )
    assert first.status == "posted"
    assert again.status == "duplicate"
    tops = [m for m in stub.messages(DIGESTS) if m.get("thread_ts", m["ts"]) == m["ts"]]
    assert len(tops) == 1


async def test_failed_run_is_recorded_and_can_be_retried(
    mava: MavaClient, db: Database, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    settings = make_settings()
    subscriptions = SubscriptionService(db, settings)
    [default] = await subscriptions.active("digest")
    service = make_service(mava, db, stub, settings)
    key = "settings:digest:C0DIGEST@2026-01-05T08:00Z"

    stub.fail("chat.postMessage", "not_in_channel")
    failed = await service.post(DIGESTS, run_key=key, subscription=default)
    assert failed.status == "failed" and not failed.retryable
    [view] = await subscriptions.list_for_channel(DIGESTS)
    assert view.is_default and view.source == "DIGEST_CHANNEL setting"
    assert view.last_outcome is not None and "not_in_channel" in view.last_outcome

    mava_sandbox.sandbox.inject("status", status=500, times=None, path="/api/tickets")
    down = await service.post(DIGESTS, run_key=key, subscription=default)
    assert down.status == "failed" and down.retryable
    assert down.error is not None and "Mava" in down.error
    mava_sandbox.sandbox.clear_faults()

    done = await service.post(DIGESTS, run_key=key, subscription=default)
    assert done.status == "posted"
    [view] = await subscriptions.list_for_channel(DIGESTS)
    assert view.last_outcome is not None and view.last_outcome.startswith("posted (")


async def test_preview_posts_nothing(
    mava: MavaClient, db: Database, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    service = make_service(mava, db, stub, make_settings())
    tickets, messages = await service.preview(None)
    assert {t.id for t in tickets} == open_unassigned(mava_sandbox)
    assert sorted(ticket_ids([{"blocks": b} for b in messages])) == sorted(t.id for t in tickets)
    assert stub.calls() == []


async def test_channel_digest_uses_its_subscription_filters(
    mava: MavaClient, db: Database, stub: SlackStub, mava_sandbox: RunningSandbox
) -> None:
    settings = make_settings(digest_channel=None)
    subscriptions = SubscriptionService(db, settings)
    discord_high = Filters(Priority.HIGH, unassigned_only=False, origins=(Origin.DISCORD,))
    await subscriptions.add(
        "digest", "C0TEAM", discord_high, "U0JANE", schedule=Schedule.daily(9, 0)
    )
    service = make_service(mava, db, stub, settings, subscriptions=subscriptions)
    result = await service.post("C0TEAM")
    expected = {
        t["_id"]
        for t in mava_sandbox.sandbox.tickets
        if t["status"] != "Resolved" and t["priority"] == 3 and t["sourceType"] == "discord"
    }
    assert result.ticket_count == len(expected)
    assert sorted(ticket_ids(stub.messages("C0TEAM"))) == sorted(expected)


# --- subscriptions ----------------------------------------------------------------------


async def test_subscriptions_add_list_remove(db: Database) -> None:
    settings = make_settings(alert_channel=DIGESTS)
    changes: list[str] = []

    async def changed() -> None:
        changes.append("changed")

    subscriptions = SubscriptionService(db, settings, on_change=changed)
    digest = await subscriptions.add(
        "digest",
        DIGESTS,
        Filters(unassigned_only=True),
        "U0JANE",
        schedule=Schedule.weekdays(8, 30),
    )
    alerts = await subscriptions.add("alerts", DIGESTS, Filters(Priority.MEDIUM), "U0SAM")
    again = await subscriptions.add("alerts", DIGESTS, Filters(Priority.MEDIUM), "U0SAM")
    assert again.id == alerts.id  # a retried command adds nothing
    await subscriptions.add("alerts", "C0ELSEWHERE", Filters(Priority.HIGH), "U0SAM")
    assert changes == ["changed"] * 3

    views = await subscriptions.list_for_channel(DIGESTS)
    assert [(v.kind, v.is_default) for v in views] == [
        ("digest", True),
        ("alerts", True),
        ("digest", False),
        ("alerts", False),
    ]
    assert views[0].what == "digest weekdays at 09:00 (Europe/Berlin): unassigned tickets"
    assert views[1].what == "alerts: High-priority tickets"
    assert views[2].what == "digest weekdays at 08:30 (Europe/Berlin): unassigned tickets"
    assert views[3].source == f"#{alerts.id}"
    assert "nothing delivered yet" in views[3].describe()

    assert not await subscriptions.remove("C0ELSEWHERE", digest.id)  # not that channel's
    assert await subscriptions.remove(DIGESTS, digest.id)
    assert not await subscriptions.remove(DIGESTS, digest.id)
    assert len(await subscriptions.list_for_channel(DIGESTS)) == 3
    assert changes == ["changed"] * 4


async def test_subscription_limit_per_channel(db: Database) -> None:
    subscriptions = SubscriptionService(db, make_settings())
    for minute in range(20):
        await subscriptions.add(
            "digest", DIGESTS, Filters(), "U1", schedule=Schedule.daily(9, minute)
        )
    with pytest.raises(SubscriptionError, match="unsubscribe"):
        await subscriptions.add("digest", DIGESTS, Filters(), "U1", schedule=Schedule.daily(10, 0))


async def test_cli_preview_prints_without_posting(
    mava_sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mava_bridge.preview import preview

    settings = make_settings(
        mava_api_url=mava_sandbox.url,
        mava_api_token=mava_sandbox.api_key,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
    )
    assert await preview(settings, None, as_json=False) == 0
    out = capsys.readouterr().out
    expected = open_unassigned(mava_sandbox)
    assert out.startswith(f"{len(expected)} ticket(s)")
    assert all(ticket_id in out for ticket_id in expected)
    assert await preview(settings, DIGESTS, as_json=True) == 0  # DIGEST_CHANNEL
    assert '"blocks"' in capsys.readouterr().out
