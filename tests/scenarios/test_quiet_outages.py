"""Expected trouble with Mava leaves one WARNING line per job that names the Mava host
and the cause: never a traceback, never the body it answered (issue #18). The desk's
jobs are run as the scheduler runs them (`LeaderJob.run`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from running import free_port

from mava_sandbox.stack import Stack

from .conftest import CHANNEL, JANE, assert_ack, idle, scenario_stack
from .log_capture import CapturedLogs, captured_logs

HTML = "<!doctype html><html><body><h1>Sign in to continue</h1>SECRET-PAGE</body></html>"
JOBS = ("assignment DMs", "waiting-too-long reminders", "SLA warnings and breaches")


def warnings(logs: CapturedLogs) -> list[str]:
    return [str(r["message"]) for r in logs.records() if r["level"] == "WARNING"]


async def subscribe_desk_jobs(stack: Stack) -> None:
    """So the reminders and SLA jobs read the board too (the SLA job needs a target)."""
    for text in (
        "subscribe reminders after 30m",
        "sla set all first-response 1h",
        "subscribe breaches",
    ):
        assert_ack(await stack.sender.command(text, user_id=JANE, channel_id=CHANNEL))
        await idle(stack)


async def run_desk_jobs(stack: Stack) -> None:
    for job in stack.runtime.delivery.desk.jobs:
        assert await job.run() is None  # the failure is logged, not raised


def assert_told_once_per_job(logs: CapturedLogs, where: str, cause: str) -> None:
    """Each job: one WARNING naming host and cause; the board's read says the same."""
    told = warnings(logs)
    for job in JOBS:
        assert told.count(f"{job}: {where}: {cause}; trying again next interval") == 1, told
    board = [m for m in told if m.startswith("open board")]
    assert board and set(board) == {f"open board: Mava read failed: {where}: {cause}"}
    assert len(told) == len(JOBS) + len(board), told
    assert logs.errors() == []
    assert logs.tracebacks() == 0
    assert "Traceback" not in logs.stream.getvalue()


@pytest.fixture
async def html_stack() -> AsyncIterator[Stack]:
    async with scenario_stack() as stack:
        await subscribe_desk_jobs(stack)
        yield stack


async def test_mava_answering_200_with_html_is_one_warning_per_job(html_stack: Stack) -> None:
    stack = html_stack
    stack.mava.sandbox.inject(
        "status",
        times=None,
        path="/api/tickets",
        status=200,
        body=HTML,
        headers={"Content-Type": "text/html; charset=utf-8"},
    )
    with captured_logs() as logs:
        await run_desk_jobs(stack)
    host = stack.mava.url.split("//", 1)[1].rstrip("/")
    assert_told_once_per_job(logs, f"Mava at {host}", "answered HTTP 200 with text/html, not JSON")
    assert "SECRET-PAGE" not in logs.stream.getvalue()  # never the body


@pytest.fixture
async def unreachable_stack() -> AsyncIterator[tuple[Stack, int]]:
    port = free_port()
    overrides: dict[str, Any] = {"mava_api_url": f"http://127.0.0.1:{port}"}
    async with scenario_stack(**overrides) as stack:
        await subscribe_desk_jobs(stack)
        yield stack, port


async def test_mava_unreachable_is_one_warning_per_job_naming_host_and_cause(
    unreachable_stack: tuple[Stack, int],
) -> None:
    stack, port = unreachable_stack
    with captured_logs() as logs:
        await run_desk_jobs(stack)
    assert_told_once_per_job(logs, f"Mava at 127.0.0.1:{port}", "connection refused")
    assert stack.settings.mava_api_token is not None
    assert stack.settings.mava_api_token.get_secret_value() not in logs.stream.getvalue()
