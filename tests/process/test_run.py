"""`mava-bot run` and `mava-bot check` as a team would run them: real processes, real ports."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from running import bot_env, free_port, running_bot, wait_healthy

from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.mava_webhooks import MavaWebhooks
from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET, SlackEventSender
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub, running_slack_stub

MAVA_KEY = "mava-key-that-must-stay-secret-0001"


@pytest.fixture
async def services() -> AsyncIterator[tuple[RunningSandbox, SlackStub]]:
    async with (
        running_mava_sandbox(api_key=MAVA_KEY, rate_limit=None) as mava,
        running_slack_stub() as slack,
    ):
        yield mava, slack


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mava_bridge",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_run_serves_slack_health_and_metrics_then_stops_cleanly_on_sigterm(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    port = free_port()
    env = bot_env(mava, slack, tmp_path, PORT=str(port), ALERT_CHANNEL="C0ALERTS")
    log_path = tmp_path / "bot.log"
    async with running_bot(env, tmp_path, log_path) as process:
        base = f"http://127.0.0.1:{port}"
        health = await wait_healthy(f"{base}/healthz")
        assert health.json() == {"status": "ok", "checks": {"database": "ok"}}

        ticket = next(t for t in reversed(mava.sandbox.tickets) if t["status"] == "Open")
        before = len(ticket["messages"])
        async with SlackEventSender(f"{base}/slack/events", stub=slack) as sender:
            ack = await sender.command(
                f"reply {ticket['_id']} Thanks, looking now", user_id="U0JANE"
            )
            assert ack.status_code == 200
            await slack.wait_for("response_url", timeout=10)
        assert len(ticket["messages"]) == before + 1

        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"{base}/metrics")).text
        assert 'slack_requests_total{kind="command",name="Reply",outcome="ok"} 1.0' in metrics
        assert "slack_ack_seconds_count" in metrics
        assert 'mava_requests_total{endpoint="/api/message",status="200"}' in metrics

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    ready = [line for line in lines if line["message"].startswith("mava-bot ready")]
    assert len(ready) == 1
    assert "HTTP mode" in ready[0]["message"]
    assert "alerts to C0ALERTS" in ready[0]["message"]
    assert any(line["message"] == "stopped" for line in lines)
    assert any(line.get("action") == "reply" and line.get("outcome") == "ok" for line in lines)
    # No secret reaches a log line.
    text = log_path.read_text()
    for secret in (MAVA_KEY, DEFAULT_BOT_TOKEN, DEFAULT_SIGNING_SECRET):
        assert secret not in text


async def test_run_with_a_webhook_key_takes_mava_webhooks(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    """MAVA_WEBHOOK_SIGNING_KEY set: `mava-bot run` serves POST /mava/webhook; a webhook
    the sandbox signs gets 200, one whose signature does not match gets 401."""
    mava, slack = services
    port = free_port()
    webhooks = MavaWebhooks(mava.sandbox).attach()
    key = webhooks.signing_key
    env = bot_env(mava, slack, tmp_path, PORT=str(port), MAVA_WEBHOOK_SIGNING_KEY=key)
    log_path = tmp_path / "bot.log"
    try:
        async with running_bot(env, tmp_path, log_path) as process:
            base = f"http://127.0.0.1:{port}"
            await wait_healthy(f"{base}/healthz")
            webhooks.url = f"{base}/mava/webhook"
            ticket = next(t for t in reversed(mava.sandbox.tickets) if t["status"] == "Open")
            mava.sandbox.customer_writes(str(ticket["_id"]), "is anyone there?")
            await webhooks.settle()
            assert webhooks.sent and {d.status for d in webhooks.sent} == {200}, webhooks.sent

            forged = {**webhooks.envelope({"type": "x", "document": {}}), "signature": "0" * 64}
            async with httpx.AsyncClient() as client:
                refused = await client.post(webhooks.url, json=forged)
            assert refused.status_code == 401

            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        await webhooks.aclose()
    text = log_path.read_text()
    assert key not in text and key[8:40] not in text


async def test_healthz_reports_a_database_outage(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    from mava_bridge.app import Bridge
    from mava_sandbox.stack import stack_settings

    mava, slack = services
    settings = stack_settings(mava, slack, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    runtime = await Bridge.build(settings)
    runner, port = await runtime.serve_http("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
            (tmp_path / "bot.db").unlink()
            (tmp_path / "bot.db").mkdir()  # the file is gone and cannot be recreated
            await runtime.db.engine.dispose()
            outage = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert outage.status_code == 503
            assert outage.json()["checks"]["database"].startswith("error")
            await runtime.drain(1.0)
            closing = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert closing.json() == {"status": "shutting_down"}
    finally:
        await runner.cleanup()
        await runtime.close()


async def test_run_without_tokens_lists_each_missing_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MAVA_"))}
    code, _out, err = await run_cli("run", env=env, cwd=tmp_path)
    assert code == 2
    assert "SLACK_BOT_TOKEN: is not set" in err
    assert "MAVA_API_TOKEN: is not set" in err
    assert "Traceback" not in err


async def test_run_on_a_port_in_use_says_so_in_one_line_and_exits_2(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    """Another process listens on PORT: one line naming the address and the cause, no
    traceback, exit 2 (a supervisor shows it; a restart loop would not help)."""
    mava, slack = services
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        env = bot_env(mava, slack, tmp_path, PORT=str(port))
        code, out, err = await run_cli("run", env=env, cwd=tmp_path)
    assert code == 2
    assert (
        f"mava-bot cannot start: cannot listen on 127.0.0.1:{port}: address already in use" in err
    )
    assert "Traceback" not in out + err
    assert MAVA_KEY not in out + err


async def test_check_passes_against_the_sandbox_and_stub(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    code, out, _ = await run_cli("check", env=bot_env(mava, slack, tmp_path), cwd=tmp_path)
    assert code == 0, out
    assert [line.split()[0] for line in out.splitlines()] == ["OK"] * 4
    assert "slack: auth.test as" in out


async def test_check_fails_with_the_fix_for_a_wrong_mava_key_and_slack_token(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    env = bot_env(
        mava, slack, tmp_path, MAVA_API_TOKEN="wrong-key", SLACK_BOT_TOKEN="xoxb-wrong-token"
    )
    code, out, _ = await run_cli("check", env=env, cwd=tmp_path)
    assert code == 1
    assert (
        f"FAIL  mava: GET {mava.url}/api/categories: Mava rejected the API key (401). "
        "Check MAVA_API_TOKEN." in out
    )
    assert "FAIL  slack: invalid_auth: SLACK_BOT_TOKEN is not a valid bot token" in out
    assert "OK    database" in out
    assert "wrong-key" not in out and "xoxb-wrong-token" not in out
