"""SIGTERM ends `mava-bot run` within the drain bound in every state, also while an
assignment DM is being retried because Slack answers errors or is gone: the retry's
wait ends at once, the DM is recorded as to be tried again, and the process exits 0
with no traceback in its log (issue #18)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from running import add_omar, bot_env, free_port, running_bot, sigterm_timed, wait_for, wait_healthy

from mava_bridge.serve import DRAIN_SECONDS, EXIT_SECONDS
from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_stub import SlackStub


def records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]


def messages(log: Path, text: str) -> list[dict[str, Any]]:
    return [r for r in records(log) if text in str(r["message"])]


@pytest.mark.parametrize("slack_state", ["answers errors", "gone"])
async def test_sigterm_during_dm_retries_exits_within_the_drain_bound(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path, slack_state: str
) -> None:
    mava, slack = services
    add_omar(slack)
    port = free_port()
    env = bot_env(mava, slack, tmp_path, PORT=str(port), DESK_REFRESH_SECONDS="1")
    log = tmp_path / "bot.log"
    ticket = str(mava.sandbox.add_ticket(messages=["Please help"])["_id"])
    async with running_bot(env, tmp_path, log) as process:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        # Two board reads: the first DM poll (the baseline) is done, so the assignment
        # below is a change that gets a DM.
        await wait_for(lambda: len(messages(log, "open board read")) >= 2, 30, "two board reads")
        slack.http_error("chat.postMessage", 503, times=None)
        mava.sandbox.dashboard(ticket, assignee="Omar Haddad")
        await slack.wait_for("chat.postMessage", 1, timeout=30)
        if slack_state == "gone":
            await slack.stop()  # the retries now find a closed port
            await wait_for(lambda: messages(log, "slack post retry")[1:], 30, "a second retry")
        else:
            await slack.wait_for("chat.postMessage", 3, timeout=30)  # the next wait is ~4 s
        code, took = await sigterm_timed(process)
    print(f"\nSlack {slack_state}: exited {code} {took:.1f} s after SIGTERM")
    assert code == 0
    assert took < DRAIN_SECONDS
    not_sent = messages(log, "assignment DM not sent")
    assert not_sent and not_sent[-1]["retryable"] is True  # tried again after a restart
    assert "Traceback" not in log.read_text()
    assert messages(log, "stopped")


async def test_sigterm_while_mava_hangs_cancels_the_job_at_the_bound_quietly(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    """A job waiting on an answer that never comes is cancelled at the bound: no
    traceback (APScheduler would log the cancellation as a failure), exit 0."""
    mava, slack = services
    port = free_port()
    env = bot_env(mava, slack, tmp_path, PORT=str(port), MAVA_TIMEOUT_SECONDS="120")
    log = tmp_path / "bot.log"
    mava.sandbox.inject("timeout", times=None, path="/api/tickets")  # never answered
    async with running_bot(env, tmp_path, log) as process:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz")
        await wait_for(lambda: mava.sandbox.requests, 30, "the first poll's Mava request")
        code, took = await sigterm_timed(process)
    print(f"\nMava hanging: exited {code} {took:.1f} s after SIGTERM")
    assert code == 0
    assert DRAIN_SECONDS - 1 < took < EXIT_SECONDS  # the drain, plus unwinding
    assert messages(log, f"work still running after {DRAIN_SECONDS:.0f} s was cancelled")
    assert "Traceback" not in log.read_text()
    assert [r for r in records(log) if r["level"] == "ERROR"] == []
