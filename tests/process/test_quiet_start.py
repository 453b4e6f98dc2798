"""A normal start of `mava-bot run` logs what a person needs and no noise: no warning
from Bolt about a token it read from the environment behind our back, no APScheduler
"Adding job tentatively" line per job. In HTTP mode and in Socket Mode."""

from __future__ import annotations

import contextlib
import json
import signal
from pathlib import Path

import pytest
from running import bot_env, free_port, start_bot, wait_for, wait_healthy

from mava_sandbox.mava_server import running_mava_sandbox
from mava_sandbox.slack_stub import DEFAULT_APP_TOKEN, running_slack_stub
from mava_sandbox.socket_mode_server import running_socket_mode_server

NOISE = ("will be unused", "Adding job tentatively")


def log_records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


@pytest.mark.parametrize("mode", ["HTTP mode", "Socket Mode"])
async def test_a_normal_start_logs_no_noise(tmp_path: Path, mode: str) -> None:
    async with (
        running_mava_sandbox(rate_limit=None) as mava,
        running_slack_stub() as slack,
        running_socket_mode_server(slack) as socket,
    ):
        port = free_port()
        # Tokens in the environment, as docker --env-file passes them, and a digest and
        # alerts so that the scheduler has jobs to add.
        extra = {"SLACK_APP_TOKEN": DEFAULT_APP_TOKEN} if mode == "Socket Mode" else {}
        env = bot_env(
            mava,
            slack,
            tmp_path,
            PORT=str(port),
            DIGEST_CHANNEL="C0DIGEST",
            ALERT_CHANNEL="C0ALERTS",
            **extra,
        )
        log = tmp_path / "bot.log"
        process = await start_bot(env, tmp_path, log)
        try:
            if mode == "Socket Mode":
                await socket.wait_for_connection(1, timeout=30)
            await wait_healthy(f"http://127.0.0.1:{port}/healthz")
            # The first poll runs at start; wait for it so its lines are in the log too.
            await wait_for(lambda: mava.sandbox.requests, 10, "the first poll")
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
    records = log_records(log)
    messages = [str(record["message"]) for record in records]
    assert any(message.startswith(f"mava-bot ready: {mode}") for message in messages)
    assert [m for m in messages if any(noise in m for noise in NOISE)] == []
    assert [r for r in records if r["level"] not in ("DEBUG", "INFO")] == []
