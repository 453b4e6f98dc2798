"""The Docker entrypoint (mava_bridge/container.py): a root-owned /data is handed to the
app user before the bot runs as that user; started as a non-root user it changes nothing and says
why /data will not work. Run for real: processes change owners and users here (as root,
like the container's start), with the stock `nobody` account standing in for `app`.

And the Dockerfile's HEALTHCHECK command, run as Docker runs it, against `mava-bot run`
bound to one address and to every address."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from running import bot_env, free_port, start_bot, wait_for

from mava_bridge.observability.health import health_routes
from mava_bridge.observability.metrics import Metrics
from mava_sandbox.mava_server import running_mava_sandbox
from mava_sandbox.slack_stub import running_slack_stub

ROOT = Path(__file__).resolve().parents[2]

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="changing owners and users needs root, as the container has"
)


@pytest.fixture
def volume() -> Iterator[Path]:
    """A root-owned folder with a file in it, reachable by other users (unlike tmp_path)."""
    with tempfile.TemporaryDirectory(dir="/tmp") as outer:
        Path(outer).chmod(0o755)
        data = Path(outer) / "data"
        data.mkdir(mode=0o755)
        (data / "old.db").write_text("")
        yield data


def entrypoint(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@needs_root
def test_a_root_owned_volume_is_handed_to_the_app_user(volume: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    script = f"id -u; id -g; touch {volume}/bot.db"
    result = entrypoint(
        "from pathlib import Path; from mava_bridge.container import run; "
        f"run(['/bin/sh', '-c', {script!r}], Path({str(volume)!r}), 'nobody')"
    )
    assert result.returncode == 0, result.stderr
    # The command ran as the app user, not as root ...
    assert result.stdout.split() == [str(nobody.pw_uid), str(nobody.pw_gid)]
    # ... and could create its database, next to what was there, all the app user's.
    for path in (volume, volume / "old.db", volume / "bot.db"):
        stat = path.stat()
        assert (stat.st_uid, stat.st_gid) == (nobody.pw_uid, nobody.pw_gid), path


@needs_root
def test_started_as_another_user_it_changes_nothing_and_says_why(volume: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    result = entrypoint(
        "from pathlib import Path; from mava_bridge.container import drop_to, run; "
        f"drop_to({nobody.pw_uid}, {nobody.pw_gid}, '/'); "
        f"run(['/bin/sh', '-c', 'id -u'], Path({str(volume)!r}))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(nobody.pw_uid)]
    assert result.stderr == (
        f"mava-bot: {volume} is not writable by uid {nobody.pw_uid}; the SQLite database "
        "cannot be created there. Run the container without --user (it hands "
        f"{volume} to the app user itself), or chown the volume to uid {nobody.pw_uid}.\n"
    )
    assert volume.stat().st_uid == 0


# --- HEALTHCHECK ----------------------------------------------------------------------


def healthcheck_command() -> list[str]:
    """The Dockerfile's HEALTHCHECK CMD (exec form)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(r"^HEALTHCHECK .*?\bCMD (\[.*\])$", text, re.MULTILINE)
    assert match is not None, "no HEALTHCHECK ... CMD [...] in the Dockerfile"
    command: list[str] = json.loads(match.group(1))
    return command


async def healthcheck(host: str, port: int) -> tuple[int, str]:
    """Run the HEALTHCHECK command as Docker does: the container's environment, python
    from PATH (this venv's python here)."""
    command = healthcheck_command()
    assert command[0] == "python"
    env = {**os.environ, "HOST": host, "PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command[1:],
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 20)
    return process.returncode or 0, out.decode().strip()


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


HOSTS = [
    # (HOST the bot binds, the address the check must ask)
    ("127.0.0.2", "127.0.0.2"),  # one address, not 127.0.0.1: the old check missed it
    ("0.0.0.0", "127.0.0.1"),
    ("", "127.0.0.1"),  # empty: aiohttp binds every address
    pytest.param(
        "::1",
        "[::1]",
        marks=pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback here"),
    ),
    pytest.param(
        "::",
        "[::1]",
        marks=pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback here"),
    ),
]


@pytest.mark.parametrize(("host", "asked"), HOSTS)
async def test_the_healthcheck_asks_where_the_server_listens(host: str, asked: str) -> None:
    app = web.Application()
    app.add_routes(health_routes({}, Metrics(), is_shutting_down=lambda: False))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, host or None, port)
    await site.start()
    try:
        code, out = await healthcheck(host, port)
    finally:
        await runner.cleanup()
    assert (code, out) == (0, f"GET http://{asked}:{port}/healthz: 200")


async def test_an_unhealthy_or_silent_server_fails_the_healthcheck() -> None:
    async def database() -> None:
        raise RuntimeError("database down")

    app = web.Application()
    app.add_routes(health_routes({"database": database}, Metrics(), is_shutting_down=lambda: False))
    server = TestServer(app, host="127.0.0.2")
    await server.start_server()
    port = server.port
    try:
        code, out = await healthcheck("127.0.0.2", port)
    finally:
        await server.close()
    assert (code, out) == (1, f"GET http://127.0.0.2:{port}/healthz: 503")

    closed = free_port()
    code, out = await healthcheck("127.0.0.2", closed)
    assert code == 1
    assert out.startswith(f"GET http://127.0.0.2:{closed}/healthz: URLError: ")


async def test_mava_bot_run_on_one_address_is_healthy_to_the_healthcheck(tmp_path: Path) -> None:
    """`mava-bot run` with HOST=127.0.0.2 (as HOST=10.0.0.5 in a container): nothing
    answers on 127.0.0.1, and the check asks 127.0.0.2."""
    async with (
        running_mava_sandbox(rate_limit=None) as mava,
        running_slack_stub() as slack,
    ):
        port = free_port()
        env = bot_env(mava, slack, tmp_path, HOST="127.0.0.2", PORT=str(port))
        log = tmp_path / "bot.log"
        process = await start_bot(env, tmp_path, log)
        try:
            await wait_for(lambda: "HTTP mode on 127.0.0.2" in log.read_text(), 30, "start")
            code, out = await healthcheck("127.0.0.2", port)
            assert (code, out) == (0, f"GET http://127.0.0.2:{port}/healthz: 200")
            with socket.socket() as sock:  # the old check's address: nobody there
                assert sock.connect_ex(("127.0.0.1", port)) != 0
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
