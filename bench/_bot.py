"""`mava-bot run` as a subprocess, the way it runs in production, for the benchmarks.

The Mava sandbox and the Slack stub stand in for the remote services; the bot is its own
process, so its event loop and memory are measured alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from _common import ROOT

from mava_sandbox.mava_server import RunningSandbox
from mava_sandbox.slack_requests import DEFAULT_SIGNING_SECRET
from mava_sandbox.slack_stub import DEFAULT_BOT_TOKEN, SlackStub


@dataclass
class Bot:
    process: subprocess.Popen[bytes]
    port: int
    ready_seconds: float  # process start -> /healthz 200

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    def status_kb(self, field: str) -> int:
        """A /proc/PID/status field in kB (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def running_bot(
    mava: RunningSandbox, slack: SlackStub, log: Path | None = None, **env: str
) -> AsyncIterator[Bot]:
    """Start `mava-bot run` (HTTP mode, SQLite unless DATABASE_URL is given); wait for ready.
    Its log lines go to `log` when given (else nowhere)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mava-bench-") as workdir:
        environment = {
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
            **env,
        }
        sink = log.open("ab") if log is not None else None
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, never awaited on
            [str(ROOT / ".venv" / "bin" / "mava-bot"), "run"],
            cwd=workdir,
            env=environment,
            stdout=sink if sink is not None else subprocess.DEVNULL,
        )
        try:
            ready = await _wait_ready(f"http://127.0.0.1:{port}/healthz", started, process)
            yield Bot(process, port, ready)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if sink is not None:
                sink.close()


async def _wait_ready(url: str, started: float, process: subprocess.Popen[bytes]) -> float:
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.perf_counter() - started < 30:
            if process.poll() is not None:
                raise RuntimeError(f"mava-bot run exited with {process.returncode}")
            try:
                if (await client.get(url)).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.02)
    raise RuntimeError("mava-bot run was not ready within 30 s")
