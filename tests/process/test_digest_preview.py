"""`mava-bot digest --preview` as a person runs it: a process, its output, its exit code."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.schedule import schedule_from_cron
from mava_bridge.services.subscriptions import SubscriptionService
from mava_bridge.settings import Settings
from mava_bridge.store.db import Database
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def big_sandbox() -> AsyncIterator[RunningSandbox]:
    # 2,000 tickets: the JSON preview is several pipe buffers long, so a reader that
    # leaves after 3 lines always leaves while the writer still has output to write.
    async with running_mava_sandbox(api_key="cli-key", rate_limit=None, tickets=2000) as running:
        yield running


def cli_env(mava: RunningSandbox, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MAVA_", "DIGEST_"))}
    env.update(
        MAVA_API_URL=mava.url,
        MAVA_API_TOKEN=mava.api_key,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


async def run(
    command: list[str], env: dict[str, str], cwd: Path, *, shell: bool = False
) -> tuple[int, str, str]:
    if shell:
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            " ".join(command),
            env=env,
            cwd=cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    else:
        process = await asyncio.create_subprocess_exec(
            *command,
            env=env,
            cwd=cwd,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


DIGEST = [sys.executable, "-m", "mava_bridge", "digest", "--preview"]


async def test_channel_without_a_digest_says_so(
    mava_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = cli_env(mava_sandbox, tmp_path, DIGEST_CHANNEL="C0DIGEST")
    code, out, err = await run([*DIGEST, "--channel", "C999"], env, tmp_path)
    assert code == 1
    assert out == ""
    assert "channel C999 gets no digest" in err
    assert "Leave out --channel" in err
    assert "Traceback" not in err

    # A channel name instead of an id gets told where to find the id.
    code, _, err = await run([*DIGEST, "--channel", "#support"], env, tmp_path)
    assert code == 1 and "Give the channel id (C…), not its name" in err

    # DIGEST_CHANNEL has the default digest: previewed.
    code, out, err = await run([*DIGEST, "--channel", "C0DIGEST"], env, tmp_path)
    assert code == 0, err
    assert "ticket(s); posted as 1 message" in out.splitlines()[0]


async def test_channel_with_a_subscribed_digest_is_previewed(
    mava_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    env = cli_env(mava_sandbox, tmp_path)
    db = Database(env["DATABASE_URL"])
    await db.migrate()
    try:
        settings = Settings(_env_file=None, mava_api_token=mava_sandbox.api_key)
        subs = SubscriptionService(db, settings)
        await subs.add(
            "digest",
            "C0SUBSCRIBED",
            Filters(),
            "U0JANE",
            schedule=schedule_from_cron("0 9 * * 1-5"),
        )
    finally:
        await db.dispose()
    code, out, err = await run([*DIGEST, "--channel", "C0SUBSCRIBED", "--json"], env, tmp_path)
    assert code == 0, err
    assert out.lstrip().startswith("[") and '"blocks"' in out


async def test_json_into_head_ends_quietly(big_sandbox: RunningSandbox, tmp_path: Path) -> None:
    env = cli_env(big_sandbox, tmp_path)
    command = [*DIGEST, "--json"]
    code, whole, err = await run(command, env, tmp_path)
    assert code == 0, err
    assert len(whole) > 4 * 65536  # far more than a pipe holds

    # As a person types it; PIPESTATUS shows how the writer ended.
    line = " ".join(command) + ' 2>err.txt | head -n 3; echo "writer=${PIPESTATUS[0]}"'
    code, out, _ = await run([line], env, tmp_path, shell=True)
    shown = out.splitlines()
    assert shown[:3] == whole.splitlines()[:3]
    assert shown[3] == "writer=1"  # stopped early, as the Python docs' SIGPIPE note does
    errors = (tmp_path / "err.txt").read_text()
    assert errors == "", errors  # no BrokenPipeError traceback, no "Exception ignored"
