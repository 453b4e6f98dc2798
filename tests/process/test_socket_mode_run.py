"""`mava-bot run` and `mava-bot check` in Socket Mode, as processes: shutdown in every
state, health while Slack cannot be reached, the app token checked."""

from __future__ import annotations

import asyncio
import gc
import json
import signal
import statistics
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from running import bot_env, free_port, running_bot, wait_for, wait_healthy

from mava_bridge.serve import EXIT_SECONDS
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.slack_requests import slash_command
from mava_sandbox.slack_stub import DEFAULT_APP_TOKEN, SlackStub, running_slack_stub
from mava_sandbox.socket_mode_server import SocketModeServer, running_socket_mode_server


@dataclass
class Slack:
    mava: RunningSandbox
    stub: SlackStub
    socket: SocketModeServer


@pytest.fixture
async def services() -> AsyncIterator[Slack]:
    async with (
        running_mava_sandbox(rate_limit=None) as mava,
        running_slack_stub() as stub,
        running_socket_mode_server(stub) as socket,
    ):
        yield Slack(mava, stub, socket)


def log_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


async def stop_within_bound(process: asyncio.subprocess.Process) -> float:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), EXIT_SECONDS + 10) == 0
    return time.monotonic() - started


async def test_sigterm_finishes_the_write_in_flight_and_opens_no_new_socket(
    services: Slack, tmp_path: Path
) -> None:
    port = free_port()
    env = bot_env(
        services.mava, services.stub, tmp_path, PORT=str(port), SLACK_APP_TOKEN=DEFAULT_APP_TOKEN
    )
    log = tmp_path / "bot.log"
    async with running_bot(env, tmp_path, log) as process:
        socket = services.socket
        await socket.wait_for_connection(1, timeout=30)
        ticket = str(services.mava.sandbox.add_ticket(status="Open")["_id"])
        services.mava.sandbox.latency = 1.5  # the reply is still on its way at SIGTERM
        url = services.stub.response_url(channel="C0SUPPORT")
        body = slash_command(f"reply {ticket} Sent during shutdown", response_url=url)
        envelope = await socket.send_request(body)
        assert (await envelope.acked(timeout=3)).seconds < 3
        await asyncio.sleep(0.3)
        assert services.mava.sandbox.get(ticket) is not None
        opened = socket.connections_opened
        asked = len(services.stub.calls("apps.connections.open"))

        took = await stop_within_bound(process)

    print(f"\nSIGTERM with a write in flight: exited 0 in {took:.2f} s")
    assert took < EXIT_SECONDS
    stored = services.mava.sandbox.get(ticket)
    assert stored is not None
    sent = [m["content"] for m in stored["messages"] if m["senderType"] == "agent"]
    assert sent == ["Sent during shutdown"]
    [told] = services.stub.responses(url.rsplit("/", 1)[-1])
    assert "Sent to the customer" in told["text"]
    # No URL asked for and no socket opened after SIGTERM; the one it had is closed.
    assert socket.connections_opened == opened
    assert len(services.stub.calls("apps.connections.open")) == asked
    assert socket.open_connections() == []
    assert any(line["message"] == "stopped" for line in log_lines(log))


async def test_a_running_process_acks_a_hundred_envelopes_at_once(
    services: Slack, tmp_path: Path
) -> None:
    env = bot_env(
        services.mava,
        services.stub,
        tmp_path,
        PORT=str(free_port()),
        SLACK_APP_TOKEN=DEFAULT_APP_TOKEN,
        MAVA_RATE_LIMIT="100000",
    )
    async with running_bot(env, tmp_path, tmp_path / "bot.log") as process:
        await services.socket.wait_for_connection(1, timeout=30)
        sandbox = services.mava.sandbox
        tickets = [str(sandbox.add_ticket(status="Open")["_id"]) for _ in range(100)]
        bodies = [
            slash_command(f"reply {t} Burst {t}", response_url=services.stub.response_url())
            for t in tickets
        ]
        gc.collect()  # this process's own pauses are not the bot's
        sent = await asyncio.gather(*(services.socket.send_request(b) for b in bodies))
        acks = await asyncio.gather(*(e.acked(timeout=5) for e in sent))
        await wait_for(lambda: len(services.stub.responses()) >= 100, 30, "100 answers")
        took = await stop_within_bound(process)
    seconds = sorted(a.seconds for a in acks)
    p50, p99 = statistics.median(seconds), seconds[98]
    print(
        f"\n`mava-bot run`, 100 envelopes at once: ack p50 {p50 * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {seconds[-1] * 1000:.1f} ms"
    )
    assert seconds[-1] < 3.0
    written = [r for r in sandbox.requests if r.method == "PUT" and r.path == "/api/message"]
    assert sorted(r.body["ticketId"] for r in written) == sorted(tickets)  # each once
    assert took < EXIT_SECONDS


@pytest.mark.parametrize("unreachable", ["web api", "websocket"])
async def test_sigterm_while_slack_is_unreachable_exits_within_the_bound_and_health_says_why(
    services: Slack, tmp_path: Path, unreachable: str
) -> None:
    port = free_port()
    extra = {"PORT": str(port), "SLACK_APP_TOKEN": DEFAULT_APP_TOKEN}
    extra["SOCKET_MODE_UNHEALTHY_SECONDS"] = "1"
    if unreachable == "web api":  # nothing listens there: every Slack call is refused
        extra["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"
    else:
        await services.socket.refuse_connections()
    env = bot_env(services.mava, services.stub, tmp_path, **extra)
    log = tmp_path / "bot.log"
    async with running_bot(env, tmp_path, log) as process:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz", deadline=30)
        await asyncio.sleep(1.5)  # past the bound, still retrying
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        took = await stop_within_bound(process)

    print(f"\nSIGTERM while Slack's {unreachable} is unreachable: exited 0 in {took:.2f} s")
    assert took < EXIT_SECONDS
    assert health.status_code == 503
    reason = str(health.json()["checks"]["slack_socket"])
    assert "connection refused" in reason, reason
    assert DEFAULT_APP_TOKEN not in health.text
    assert services.socket.connections_opened == 0
    text = log.read_text()
    assert DEFAULT_APP_TOKEN not in text
    assert any(line["message"] == "stopped" for line in log_lines(log))


async def test_sigterm_while_slack_hangs_at_start_exits_within_the_bound(
    services: Slack, tmp_path: Path
) -> None:
    services.stub.slow_down("auth.test", 60)
    services.stub.slow_down("apps.connections.open", 60)
    env = bot_env(
        services.mava,
        services.stub,
        tmp_path,
        PORT=str(free_port()),
        SLACK_APP_TOKEN=DEFAULT_APP_TOKEN,
    )
    async with running_bot(env, tmp_path, tmp_path / "bot.log") as process:
        # The database exists once start-up is under way (signal handlers are in place).
        await wait_for(lambda: (tmp_path / "bot.db").exists(), 30, "the database file")
        await asyncio.sleep(0.5)
        took = await stop_within_bound(process)
    print(f"\nSIGTERM while Slack hangs at start: exited 0 in {took:.2f} s")
    assert took < EXIT_SECONDS
    assert services.socket.connections_opened == 0


async def run_check(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mava_bridge",
        "check",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode()


async def test_check_asks_slack_for_a_socket_url_with_the_app_token(
    services: Slack, tmp_path: Path
) -> None:
    env = bot_env(services.mava, services.stub, tmp_path, SLACK_APP_TOKEN=DEFAULT_APP_TOKEN)
    _, out = await run_check(env, tmp_path)
    assert "OK    socket mode: apps.connections.open accepted SLACK_APP_TOKEN" in out, out
    assert "ticket=" not in out  # the one-time URL is not shown
    assert services.socket.connections_opened == 0  # asked for a URL, did not connect


async def test_check_fails_with_the_fix_for_a_wrong_app_token(
    services: Slack, tmp_path: Path
) -> None:
    wrong = "xapp-1-A0MAVABOT-1-not-the-token"
    env = bot_env(services.mava, services.stub, tmp_path, SLACK_APP_TOKEN=wrong)
    code, out = await run_check(env, tmp_path)
    assert code == 1
    assert (
        "FAIL  socket mode: apps.connections.open: invalid_auth: SLACK_APP_TOKEN is not a "
        "valid app-level token" in out
    ), out
    assert wrong not in out
