"""A revoked Slack bot token during alerts and digests, end to end: nothing is silently
dropped. Each refusal is logged, recorded on the subscription and shown by
`/mava subscriptions`; alerts are retried every poll until the token works again;
a scheduled digest is marked failed (not retried by itself: someone has to act) and
caught up at the restart that brings the new token, while still within DIGEST_GRACE.

The whole bot runs on loopback (Mava sandbox + Slack stub + the bot in HTTP mode);
polls and digest runs go through the runtime's own poller and scheduler, and
`/mava subscriptions` is a signed slash command answered on its response_url (which,
as in Slack, needs no token).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from ledger_rows import digest_run_state
from running import daily_cron_that_fired

from mava_bridge.delivery.scheduler import DIGEST_GRACE, run_key
from mava_bridge.observability.logs import JsonFormatter
from mava_bridge.services.subscriptions import ActiveSubscription
from mava_bridge.store import deliveries as ledger
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN
from mava_sandbox.stack import Stack

from .conftest import CHANNEL, SAM, flat, new_ticket, run, scenario_stack, shown

TOKEN = DEFAULT_BOT_TOKEN
# What `DeliveryFailed("token_revoked", ...).describe()` says, pinned word for word:
# it is what people read in `/mava subscriptions`.
SENTENCE = (
    "Slack refused the post: token_revoked "
    "(the bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN)"
)
# A small Mava (a handful of open unassigned tickets, so a digest is one message unless
# a test adds more), without a rate limit.
MAVA = {"tickets": 20, "rate_limit": None}


# --- helpers ------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def token_stack(caplog: pytest.LogCaptureFixture, **settings: Any) -> AsyncIterator[Stack]:
    """A stack of its own (the token state must not leak into other tests), with every
    log record captured from DEBUG up, and checked at the end for the token."""
    caplog.set_level(logging.DEBUG)
    async with scenario_stack(mava_options=MAVA, **settings) as stack:
        try:
            yield stack
        finally:
            stack.slack.revoked.clear()
            scheduler = stack.runtime.delivery.scheduler
            await scheduler.shutdown()  # a no-op unless the test started it
    assert_token_never_shown(caplog.records, stack)


def assert_token_never_shown(records: Sequence[logging.LogRecord], stack: Stack) -> None:
    """The token is in no log line (message, extras, exception) and in no Slack body
    the bot sent (messages, response_url answers)."""
    formatter = JsonFormatter()
    leaked = [r.name for r in records if TOKEN in formatter.format(r)]
    assert leaked == [], f"the bot token is in log records of {leaked}"
    for call in stack.slack.calls():
        assert TOKEN not in json.dumps(call.params, default=str), call.method


async def eventually(check: Callable[[], bool], seconds: float = 4.0) -> None:
    """Wait for a scheduler job (the scheduler runs jobs on its own)."""
    for _ in range(round(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting for the scheduler's job")


def posts(stack: Stack) -> list[tuple[bool, str | None]]:
    """(ok, error) of every chat.postMessage the bot attempted, oldest first."""
    return [(c.ok, c.error) for c in stack.slack.calls("chat.postMessage")]


def alerted(stack: Stack) -> list[str]:
    """Ticket ids of the alert messages in CHANNEL, in posting order."""
    return [
        str(block["block_id"]).removeprefix("ticket:")
        for message in stack.slack.messages(CHANNEL)
        for block in message.get("blocks") or []
        if str(block.get("block_id", "")).startswith("ticket:")
    ]


def warnings_from(
    caplog: pytest.LogCaptureFixture, logger: str, message: str
) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == logger and r.getMessage() == message and r.levelno == logging.WARNING
    ]


async def listing(stack: Stack, user_id: str | None = None) -> str:
    """What `/mava subscriptions` in CHANNEL shows, whitespace collapsed."""
    body = await run(stack, "subscriptions", **({"user_id": user_id} if user_id else {}))
    return flat(shown(body))


async def outcome(stack: Stack) -> str | None:
    [view] = await stack.runtime.delivery.subscriptions.list_for_channel(CHANNEL)
    return view.last_outcome


async def the_digest(stack: Stack) -> ActiveSubscription:
    [sub] = await stack.runtime.delivery.subscriptions.active("digest")
    return sub


# --- alerts -------------------------------------------------------------------------------


async def test_alert_with_a_revoked_token_is_reported_and_posted_once_the_token_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with token_stack(caplog, alert_channel=CHANNEL, alert_min_priority="high") as stack:
        poller = stack.runtime.delivery.poller
        first = await poller.poll_once()  # what already matches is baseline, never posted
        assert first.baselined > 0 and first.alerted == 0
        # The bot has been answering people (Bolt's auth.test and Jane's profile cached).
        assert "nothing delivered yet" in await listing(stack)

        stack.slack.revoke(TOKEN)
        ticket = new_ticket(stack, priority=3)
        for attempt in (1, 2):  # every poll tries again; none gives up on the ticket
            report = await poller.poll_once()
            assert (report.alerted, report.slack_errors) == (0, 1)
            # Not retried within the poll (it cannot get better), and nothing went out.
            assert posts(stack) == [(False, "token_revoked")] * attempt
            assert alerted(stack) == []
            # The claim was dropped, so the ticket is free for the next poll.
            assert await ledger.ALERTS.states(stack.runtime.db, (CHANNEL,), [ticket]) == {}

        [logged, *_] = warnings_from(caplog, "mava_bridge.delivery.alerts", "alert not posted")
        assert (logged.channel, logged.ticket) == (CHANNEL, ticket)  # type: ignore[attr-defined]
        assert logged.error == "token_revoked"  # type: ignore[attr-defined]
        assert logged.retryable is False  # type: ignore[attr-defined]
        assert '"error": "token_revoked"' in JsonFormatter().format(logged)
        assert await outcome(stack) == SENTENCE
        # The response_url takes no token: the listing still reaches the person asking.
        shown_now = await listing(stack)
        assert "ALERT_CHANNEL setting · alerts: High-priority tickets · last delivery" in shown_now
        assert SENTENCE in shown_now

        stack.slack.revoked.discard(TOKEN)  # the app reinstalled, the token works again
        report = await poller.poll_once()
        assert report.alerted == 1
        assert alerted(stack) == [ticket]
        assert (await poller.poll_once()).alerted == 0  # and only once
        assert alerted(stack) == [ticket]
        assert await ledger.ALERTS.states(stack.runtime.db, (CHANNEL,), [ticket]) == {
            ticket: ledger.POSTED
        }
        assert await outcome(stack) == "posted 1 alert"
        assert "posted 1 alert" in await listing(stack)


async def test_subscriptions_listing_reaches_someone_not_looked_up_lately(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with token_stack(caplog, alert_channel=CHANNEL, alert_min_priority="high") as stack:
        poller = stack.runtime.delivery.poller
        await poller.poll_once()
        assert "nothing delivered yet" in await listing(stack)  # Jane: auth.test is cached

        stack.slack.revoke(TOKEN)
        new_ticket(stack, priority=3)
        assert (await poller.poll_once()).slack_errors == 1
        assert await outcome(stack) == SENTENCE
        # Sam has not used the bot lately (no cached profile): the typical person who
        # comes asking why the alerts stopped.
        assert SENTENCE in await listing(stack, user_id=SAM)


# --- scheduled digests --------------------------------------------------------------------


async def test_scheduled_digest_with_a_revoked_token_fails_visibly_and_is_caught_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cron, fire = daily_cron_that_fired(minutes_ago=2)
    settings = {"digest_channel": CHANNEL, "digest_schedule": cron, "digest_timezone": "UTC"}
    async with token_stack(caplog, **settings) as stack:
        sub = await the_digest(stack)
        key = run_key(sub, fire)
        db, scheduler = stack.runtime.db, stack.runtime.delivery.scheduler
        preview = await stack.runtime.delivery.digests.preview(CHANNEL)
        count = len(preview.tickets)
        assert len(preview.messages) == 1 and count > 1  # one message, no thread
        assert "nothing delivered yet" in await listing(stack)

        catch_up = f"digest-catchup:{sub.key}"
        finished: list[str] = []  # ids of the jobs the scheduler has run to the end

        async def start_and_catch_up() -> None:
            await scheduler.start()
            assert scheduler.scheduler is not None  # no await since start(): nothing ran yet
            scheduler.scheduler.add_listener(
                lambda event: finished.append(event.job_id), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR
            )
            await eventually(lambda: catch_up in finished)
            finished.clear()

        stack.slack.revoke(TOKEN)
        # Start-up catches up the run that fired 2 minutes ago (within DIGEST_GRACE).
        assert fire > datetime.now(UTC) - DIGEST_GRACE
        await start_and_catch_up()
        assert await digest_run_state(db, key) == ledger.FAILED
        assert posts(stack) == [(False, "token_revoked")]
        assert stack.slack.messages(CHANNEL) == []
        [logged] = warnings_from(caplog, "mava_bridge.delivery.digests", "digest not posted")
        assert logged.error == "token_revoked"  # type: ignore[attr-defined]
        assert logged.channel == CHANNEL  # type: ignore[attr-defined]
        assert await outcome(stack) == f"failed: {SENTENCE}"
        assert f"failed: {SENTENCE}" in await listing(stack)
        # Not retryable: no retry job keeps hammering Slack with a dead token.
        assert scheduler.scheduler is not None
        assert scheduler.scheduler.get_job(f"digest-retry:{sub.key}") is None

        # The fix: reinstall the app, put the new token in SLACK_BOT_TOKEN, restart.
        await scheduler.shutdown()
        stack.slack.revoked.discard(TOKEN)
        await start_and_catch_up()  # the catch-up takes the failed run over and posts it
        assert await digest_run_state(db, key) == ledger.POSTED
        [top] = stack.slack.messages(CHANNEL)
        assert "thread_ts" not in top
        assert f"*{count} tickets*" in str(top["blocks"])
        assert await outcome(stack) == f"posted ({count} tickets)"
        now_shown = await listing(stack)
        assert "last delivery" in now_shown and f"posted ({count} tickets)" in now_shown
        assert "token_revoked" not in now_shown

        # The run is done: firing it again (a second catch-up, another leader) is a no-op.
        again = await scheduler.run_digest(sub.key, fire)
        assert again is not None and again.status == "duplicate"
        assert len(stack.slack.messages(CHANNEL)) == 1


# --- revoked in the middle of a digest ----------------------------------------------------


@contextlib.asynccontextmanager
async def digest_cut_mid_thread(
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[tuple[Stack, str, datetime, Any]]:
    """A scheduled run of a two-message digest whose token is revoked once the channel
    message was accepted: the poster waits 1 s between posts to a channel, so the
    revocation lands before the thread reply."""
    cron, fire = daily_cron_that_fired(minutes_ago=2)
    settings = {"digest_channel": CHANNEL, "digest_schedule": cron, "digest_timezone": "UTC"}
    async with token_stack(caplog, **settings) as stack:
        digests = stack.runtime.delivery.digests
        for _ in range(19 - len((await digests.preview(CHANNEL)).tickets)):
            new_ticket(stack, priority=1)
        # 19 open unassigned tickets: 15 in the channel message, 4 in one thread reply.
        preview = await digests.preview(CHANNEL)
        assert (len(preview.tickets), len(preview.messages)) == (19, 2)
        assert "nothing delivered yet" in await listing(stack)

        sub = await the_digest(stack)
        job = asyncio.create_task(stack.runtime.delivery.scheduler.run_digest(sub.key, fire))
        await stack.slack.wait_for("chat.postMessage", timeout=10)  # the channel message
        stack.slack.revoke(TOKEN)
        result = await job
        yield stack, run_key(sub, fire), fire, result


async def test_token_revoked_mid_digest_counts_as_posted_and_names_the_missing_reply(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with digest_cut_mid_thread(caplog) as (stack, key, fire, result):
        # No crash: the job returned what happened.
        assert result is not None
        missing = f"1 thread reply missing: {SENTENCE}"
        assert (result.status, result.ticket_count, result.replies) == ("posted", 19, 0)
        assert result.error == missing
        # The channel message went out; the reply was refused (not retried).
        assert posts(stack) == [(True, None), (False, "token_revoked")]
        [top] = stack.slack.messages(CHANNEL)
        assert result.message_ts == top["ts"] and "thread_ts" not in top
        assert "*19 tickets*" in str(top["blocks"])
        # Documented (mava_bridge.store.ledger): the run counts as posted, since reposting would
        # repeat the top; the missing reply is named in the subscription's outcome.
        assert await digest_run_state(stack.runtime.db, key) == ledger.POSTED
        assert await outcome(stack) == f"posted (19 tickets); {missing}"
        assert warnings_from(caplog, "mava_bridge.delivery.digests", "digest thread incomplete")
        # The asker was looked up before the revocation: the listing says what is missing.
        assert f"posted (19 tickets); {missing}" in await listing(stack)

        # Once the token works again the run is not repeated (the top would be doubled).
        stack.slack.revoked.discard(TOKEN)
        sub = await the_digest(stack)
        again = await stack.runtime.delivery.scheduler.run_digest(sub.key, fire)
        assert again is not None and again.status == "duplicate"
        assert len(stack.slack.messages(CHANNEL)) == 1


async def test_token_revoked_mid_digest_is_named_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with digest_cut_mid_thread(caplog) as (_stack, _key, _fire, result):
        assert result is not None and result.status == "posted"
        [logged] = warnings_from(caplog, "mava_bridge.delivery.digests", "digest thread incomplete")
        assert logged.channel == CHANNEL  # type: ignore[attr-defined]
        assert getattr(logged, "error", None) == "token_revoked"
