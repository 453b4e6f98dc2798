"""Scheduled reports (`/mava subscribe report weekly|daily [HH:MM]`) through the whole
bridge: a run posts the report and its chart once, under its run key on the digest
runs' ledger, so the job firing twice, a restart or a catch-up posts nothing more; a
run a dead leader left after its message went out is finished with the chart alone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mava_bridge.delivery.scheduler import run_key
from mava_bridge.store import deliveries
from mava_sandbox.stack import Stack

from .conftest import flat, run, scenario_stack, shown

CHANNEL = "C0WEEKLY"
FIRE = datetime.now(UTC).replace(second=0, microsecond=0)
DEAD = "replica-that-died"


async def subscribe(stack: Stack, words: str) -> str:
    said = flat(shown(await run(stack, f"subscribe report {words}", channel_id=CHANNEL)))
    assert "Subscribed" in said, said
    return "sub:" + said.rsplit("/mava unsubscribe ", 1)[1].split(".")[0]


def reports(stack: Stack) -> list[str]:
    return [
        flat(shown(m)) for m in stack.slack.messages(CHANNEL) if "Support report" in flat(shown(m))
    ]


async def test_a_scheduled_report_is_posted_once_across_a_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with scenario_stack(database_url=url, mava_options={"tickets": 0}) as stack:
        stack.mava.sandbox.add_ticket()
        key = await subscribe(stack, "daily 08:30")
        said = flat(shown(await run(stack, "subscriptions", channel_id=CHANNEL)))
        assert "report daily at 08:30" in said
        scheduler = stack.runtime.delivery.scheduler
        first = await scheduler.run_digest(key, FIRE)
        assert first is not None and first.ok
        [report] = reports(stack)
        assert "last 1 day" in report and "*Created* 1" in report
        [chart] = stack.slack.files.shared
        assert chart.channel == CHANNEL and chart.data.startswith(b"\x89PNG")
        await scheduler.run_digest(key, FIRE)  # the job fires twice
        assert len(reports(stack)) == 1 and len(stack.slack.files.shared) == 1
    async with scenario_stack(database_url=url, mava_options={"tickets": 0}) as stack:
        await stack.runtime.delivery.scheduler.run_digest(key, FIRE)  # a catch-up
        assert reports(stack) == [] and stack.slack.files.shared == []
        said = flat(shown(await run(stack, "subscriptions", channel_id=CHANNEL)))
        assert "report posted" in said


async def test_a_run_left_after_its_message_gets_its_chart_only(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    async with scenario_stack(database_url=url, mava_options={"tickets": 0}) as stack:
        key = await subscribe(stack, "weekly 07:00")
        said = flat(shown(await run(stack, "subscriptions", channel_id=CHANNEL)))
        assert "report Mondays at 07:00" in said
        sub = await stack.runtime.delivery.subscriptions.get(key)
        assert sub is not None and sub.report_days == 7
        db, now = stack.runtime.db, datetime.now(UTC)
        claim = await deliveries.claim_digest_run(db, run_key(sub, FIRE), CHANNEL, now, DEAD)
        assert claim is not None
        ts = await stack.runtime.delivery.poster.post(CHANNEL, "Support report (the dead one's)")
        await deliveries.record_digest_progress(db, claim, ts, [])
        await deliveries.take_over_claims(db, stack.runtime.leadership.name)
        result = await stack.runtime.delivery.scheduler.run_digest(key, FIRE)
        assert result is not None and result.ok
        assert len(stack.slack.messages(CHANNEL)) == 1  # no second report message
        [chart] = stack.slack.files.shared
        assert chart.title.startswith("Support report: last 7 days")
