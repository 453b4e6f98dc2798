"""`mava-bot run` as a subprocess: time to ready, and peak RSS through a 5,000-ticket digest.

The Mava sandbox (5,000 open unassigned tickets) and the Slack stub run in this script
on loopback. Targets: /healthz 200 within 2 s of process start; peak RSS < 150 MB.

    .venv/bin/python bench/memory_startup.py
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from _common import ROOT, write_section

from bot.sandbox.mava_server import running_mava_sandbox
from bot.sandbox.slack_requests import DEFAULT_SIGNING_SECRET, SlackEventSender
from bot.sandbox.slack_stub import DEFAULT_BOT_TOKEN, RESPONSE_URL, running_slack_stub

TICKETS = 5_000
CHANNEL = "C0DIGEST"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def main() -> None:
    async with (
        running_mava_sandbox(tickets=0, rate_limit=None) as mava,
        running_slack_stub() as slack,
    ):
        for _ in range(TICKETS):
            mava.sandbox.add_ticket(status="Open")
        port = free_port()
        workdir = tempfile.mkdtemp(prefix="mava-bench-")
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": DEFAULT_BOT_TOKEN,
            "SLACK_SIGNING_SECRET": DEFAULT_SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "MAVA_API_TOKEN": mava.api_key,
            "MAVA_API_URL": mava.url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/bot.db",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
        base = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, never awaited on
            [str(ROOT / ".venv" / "bin" / "mava-bot"), "run"],
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        ready = None
        try:
            async with httpx.AsyncClient(timeout=2.0) as client:
                while time.perf_counter() - started < 30:
                    try:
                        if (await client.get(f"{base}/healthz")).status_code == 200:
                            ready = time.perf_counter() - started
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.02)
            rss_ready = status_kb(proc.pid, "VmRSS")
            async with SlackEventSender(f"{base}/slack/events", stub=slack) as sender:
                url = slack.response_url(channel=CHANNEL)
                target = url.rsplit("/", 1)[-1]
                t0 = time.perf_counter()
                ack = await sender.command("digest", channel_id=CHANNEL, response_url=url)
                await slack.wait_for(
                    RESPONSE_URL, timeout=120.0, predicate=lambda c: c.target == target
                )
                digest_seconds = time.perf_counter() - t0
            answer = [c for c in slack.calls(RESPONSE_URL) if c.target == target][-1]
            peak = status_kb(proc.pid, "VmHWM")
        finally:
            proc.terminate()
            proc.wait(10)
        searches = sum(1 for r in mava.sandbox.requests if r.path == "/api/tickets")

    ready_ok = ready is not None and ready < 2.0
    rss_ok = peak / 1024 < 150
    lines = [
        f"`mava-bot run` (HTTP mode, SQLite) against a sandbox with {TICKETS} open unassigned"
        " tickets; `/mava digest` sent as a signed slash command. RSS from /proc (VmHWM).",
        "",
        "| metric | value | target |",
        "|---|---|---|",
        f"| process start -> /healthz 200 | {ready:.2f} s | < 2 s |"
        if ready is not None
        else "| process start -> /healthz 200 | not ready in 30 s | < 2 s |",
        f"| RSS when ready | {rss_ready / 1024:.1f} MB | |",
        f"| peak RSS (VmHWM) after the digest | {peak / 1024:.1f} MB | < 150 MB |",
        f"| `/mava digest` ack status / command -> answer | {ack.status_code} /"
        f" {digest_seconds:.1f} s | |",
        f"| answer | {answer.params.get('text', '')[:80]} | |",
        f"| GET /api/tickets during the digest | {searches} | |",
        "",
        f"Result: ready **{'PASS' if ready_ok else 'MISS'}**,"
        f" RSS **{'PASS' if rss_ok else 'MISS'}**",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("memory_startup", body)


if __name__ == "__main__":
    asyncio.run(main())
