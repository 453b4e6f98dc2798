"""`mava-bot check` as a new user runs it: against the Mava sandbox and the Slack stub,
it says whether the bot can post where the settings send it, what Mava answered (the URL
and the cause on failure) and where the database schema stands. It changes nothing:
no database file, no migration, no Slack post."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.metadata import version
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from running import bot_env, free_port

from mava_bridge.check import (
    CheckResult,
    check_channels,
    check_database,
    check_mava,
    check_slack,
    check_socket_mode,
    run_checks,
)
from mava_bridge.settings import Settings
from mava_bridge.store.db import Database, alembic_config
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.mava_webhooks import MavaWebhooks
from mava_sandbox.slack_stub import (
    DEFAULT_APP_TOKEN,
    DEFAULT_BOT_TOKEN,
    SlackStub,
    running_slack_stub,
)
from mava_sandbox.stack import stack_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def services() -> AsyncIterator[tuple[RunningSandbox, SlackStub]]:
    async with (
        running_mava_sandbox(api_key="check-mava-key", rate_limit=None) as mava,
        running_slack_stub() as slack,
    ):
        yield mava, slack


def settings_for(
    services: tuple[RunningSandbox, SlackStub],
    tmp_path: Path,
    database_url: str | None = None,
    **overrides: object,
) -> Settings:
    mava, slack = services
    url = database_url or f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    return stack_settings(mava, slack, url, **overrides)


def entries(folder: Path) -> list[Path]:
    return list(folder.iterdir())


def make_read_only_folder(path: Path) -> None:
    path.mkdir(mode=0o555)


async def run_check(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mava_bridge",
        "check",
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode()


# --- Channels -------------------------------------------------------------------------


async def test_channel_membership_is_checked_without_posting(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    _, slack = services
    slack.add_channel("C0DIGEST", name="support-digest", is_member=True)
    slack.add_channel("C0ALERTS", name="support-alerts", is_member=False)
    slack.channels_not_found.add("G0AUDIT")  # private, bot not in it: Slack says not found
    settings = settings_for(
        services,
        tmp_path,
        digest_channel="C0DIGEST",
        alert_channel="C0ALERTS",
        audit_channel="G0AUDIT",
    )
    lines = [result.line() for result in await check_channels(settings)]
    assert lines == [
        "OK    channel C0DIGEST (DIGEST_CHANNEL): #support-digest: the bot is a member",
        "FAIL  channel C0ALERTS (ALERT_CHANNEL): the bot is not a member of #support-alerts: "
        "type /invite @mava there",
        "FAIL  channel G0AUDIT (AUDIT_CHANNEL): channel_not_found: no such channel, or a private "
        "one the bot is not in: check the id, and /invite the bot there",
    ]
    asked = [call.params.get("channel") for call in slack.calls("conversations.info")]
    assert asked == ["C0DIGEST", "C0ALERTS", "G0AUDIT"]
    assert slack.calls("chat.postMessage") == [] and slack.calls("chat.postEphemeral") == []


async def test_one_channel_for_several_settings_is_asked_once(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    _, slack = services
    slack.add_channel("C0SUPPORT", name="support")
    settings = settings_for(
        services, tmp_path, digest_channel="C0SUPPORT", alert_channel="C0SUPPORT"
    )
    (result,) = await check_channels(settings)
    assert result.ok
    assert result.line() == (
        "OK    channel C0SUPPORT (DIGEST_CHANNEL, ALERT_CHANNEL): #support: the bot is a member"
    )
    assert len(slack.calls("conversations.info")) == 1


async def test_an_archived_channel_or_a_missing_scope_fails_with_the_fix(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    _, slack = services
    slack.add_channel("C0OLD", name="old-support", is_archived=True)
    slack.fail("conversations.info", "missing_scope")  # the first call: C0DIGEST
    settings = settings_for(services, tmp_path, digest_channel="C0DIGEST", audit_channel="C0OLD")
    lines = [result.line() for result in await check_channels(settings)]
    assert lines == [
        "FAIL  channel C0DIGEST (DIGEST_CHANNEL): missing_scope: the app lacks "
        "channels:read/groups:read: reinstall it from manifest.yml",
        "FAIL  channel C0OLD (AUDIT_CHANNEL): #old-support is archived: pick another",
    ]


async def test_no_channel_set_means_no_channel_check(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    _, slack = services
    assert await check_channels(settings_for(services, tmp_path)) == []
    assert slack.calls() == []


async def test_channels_are_not_asked_with_a_rejected_token(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    _, slack = services
    slack.revoke(DEFAULT_BOT_TOKEN)
    results = await run_checks(settings_for(services, tmp_path, digest_channel="C0DIGEST"))
    failed = [result.line() for result in results if not result.ok]
    assert failed == [
        "FAIL  slack: token_revoked: SLACK_BOT_TOKEN was revoked: reinstall the app and copy "
        "the new token"
    ]
    assert slack.calls("conversations.info") == []


# --- Mava -----------------------------------------------------------------------------


NETWORK = "this machine's network: DNS, firewall or proxy"


async def test_an_unreachable_mava_names_the_url_the_setting_and_the_network(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    """Waiting does not fix a wrong URL or a closed firewall: the line says what to check."""
    closed = f"http://127.0.0.1:{free_port()}"
    result = await check_mava(settings_for(services, tmp_path, mava_api_url=closed))
    assert not result.ok
    line = result.line()
    assert line.startswith(f"FAIL  mava: cannot reach {closed}/api/categories (ConnectError")
    assert line.endswith(f"): check MAVA_API_URL and {NETWORK}")
    assert "Try again" not in line and "check-mava-key" not in line


async def test_a_mava_that_never_answers_names_the_timeout_and_the_setting(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, _ = services
    mava.sandbox.inject("timeout", path="/api/categories", times=None)
    settings = settings_for(services, tmp_path, mava_timeout_seconds=0.5)
    result = await check_mava(settings)
    assert not result.ok
    assert result.line().startswith(
        f"FAIL  mava: no answer from {mava.url}/api/categories within MAVA_TIMEOUT_SECONDS"
        " (0.5 s; ReadTimeout"
    )
    assert result.line().endswith(f"): check MAVA_API_URL and {NETWORK}")
    assert "Try again" not in result.line()


@pytest.mark.parametrize("check", [check_slack, check_socket_mode])
async def test_an_unreachable_slack_names_the_url_the_setting_and_the_network(
    services: tuple[RunningSandbox, SlackStub],
    tmp_path: Path,
    check: Callable[[Settings], Awaitable[CheckResult]],
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    settings = settings_for(
        services, tmp_path, slack_api_url=closed, slack_app_token=DEFAULT_APP_TOKEN
    )
    result = await check(settings)
    assert not result.ok
    assert result.detail.startswith(f"cannot reach {closed} (ClientConnectorError: ")
    assert result.detail.endswith(f"): check SLACK_API_URL (unset for real Slack) and {NETWORK}")
    assert DEFAULT_BOT_TOKEN not in result.line() and DEFAULT_APP_TOKEN not in result.line()


async def test_a_working_mava_names_the_url(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, _ = services
    result = await check_mava(settings_for(services, tmp_path))
    assert result.ok
    assert result.detail.startswith(f"GET {mava.url}/api/categories answered (")


@pytest.mark.parametrize(
    ("status", "sentence"),
    [
        (
            403,
            "Mava answered 403 Forbidden for GET {url}/api/categories: the API key has no "
            "rights for this. Check MAVA_API_TOKEN",
        ),
        (
            404,
            "Mava answered 404 Not Found for GET {url}/api/categories: there is no Mava "
            "API there. Check MAVA_API_URL",
        ),
    ],
)
async def test_403_and_404_name_the_url_and_the_setting(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path, status: int, sentence: str
) -> None:
    mava, _ = services
    mava.sandbox.inject("status", path="/api/categories", status=status, body={})
    result = await check_mava(settings_for(services, tmp_path))
    assert not result.ok
    assert result.line().startswith(f"FAIL  mava: {sentence.format(url=mava.url)}")
    assert "unexpected" not in result.line()
    assert "check-mava-key" not in result.line()


async def test_a_wrong_mava_url_is_told_by_the_check_command(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    env = bot_env(mava, slack, tmp_path)
    env["MAVA_API_URL"] = f"{mava.url}/v9"  # a real 404: no Mava API under /v9
    code, out = await run_check(env, tmp_path)
    assert code != 0
    assert f"FAIL  mava: Mava answered 404 Not Found for GET {mava.url}/v9/api/categories" in out
    assert "Check MAVA_API_URL" in out
    assert "check-mava-key" not in out


# --- Database: read, never written --------------------------------------------------------

# Every migration we ship, and the newest: the sentences below name them.
MIGRATIONS = list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
HEAD, COUNT = MIGRATIONS[0].revision, len(MIGRATIONS)
# The files shipped: the count is theirs, not a number written into the code.
SHIPPED = sorted((ROOT / "src/mava_bridge/store/migrations/versions").glob("0*.py"))
assert COUNT == len(SHIPPED) > 1


async def test_a_new_sqlite_database_is_not_created(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    result = await check_database(settings_for(services, tmp_path))
    assert result.ok
    assert result.detail == (
        f"{tmp_path / 'bot.db'} does not exist yet; `mava-bot run` will create it and"
        f" apply {COUNT} migrations"
    )
    assert entries(tmp_path) == []


def stamp(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def stamped(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


async def test_the_schema_revision_is_reported_and_left_alone(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    settings = settings_for(services, tmp_path)
    db = Database(settings.database_url)
    await db.migrate()
    await db.dispose()
    path = tmp_path / "bot.db"

    latest = await check_database(settings)
    assert latest.ok
    assert latest.detail == f"reachable, schema at revision {HEAD} (the latest)"

    stamp(path, "0002")  # as an older release left it
    due = await check_database(settings)
    assert (due.ok, due.detail) == (
        True,
        f"reachable, schema at revision 0002: {COUNT - 2} migrations due, which `mava-bot run`"
        f" applies at start (to {HEAD})",
    )
    assert stamped(path) == "0002"  # check migrated nothing

    stamp(path, "0099")  # as a newer release left it
    unknown = await check_database(settings)
    assert not unknown.ok
    assert unknown.detail == (
        "schema revision 0099 is unknown to this version (a newer mava-bot migrated it?): "
        "run that version, or upgrade this one"
    )
    assert stamped(path) == "0099"


async def test_run_on_a_schema_a_newer_version_migrated_stops_with_one_line(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    """The code rolled back without the database: `run` says so and what to do, exit 2,
    no traceback, nothing migrated (as `check` reports it)."""
    mava, slack = services
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    await db.migrate()
    await db.dispose()
    stamp(tmp_path / "bot.db", "0099")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mava_bridge",
        "run",
        env={**bot_env(mava, slack, tmp_path, PORT="0"), "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "Traceback" not in out.decode() + err.decode()
    assert err.decode().splitlines() == [
        "mava-bot cannot start: the database schema is at revision 0099, which this version "
        "does not know (a newer mava-bot migrated it): run that version, or restore the "
        "backup taken before the upgrade (README, Upgrade and rollback)"
    ]
    assert stamped(tmp_path / "bot.db") == "0099"


async def test_an_empty_database_file_is_reported_as_empty(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    (tmp_path / "bot.db").touch()
    result = await check_database(settings_for(services, tmp_path))
    assert (result.ok, result.detail) == (
        True,
        f"reachable, empty: `mava-bot run` will create the tables ({COUNT} migrations)",
    )
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


async def test_a_missing_folder_is_reported(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'bot.db'}"
    result = await check_database(settings_for(services, tmp_path, database_url=url))
    assert not result.ok
    assert result.detail == (
        f"the folder {tmp_path / 'no-such-dir'} does not exist: `mava-bot run` could not use it"
    )
    assert not (tmp_path / "no-such-dir").exists()


async def test_a_folder_the_bot_cannot_write_is_reported(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    """As with a root-owned Docker volume and a non-root process."""
    if os.geteuid() == 0:
        pytest.skip("root may write to any folder: run the tests as another user for this one")
    mava, slack = services
    data = tmp_path / "data"
    make_read_only_folder(data)
    env = bot_env(mava, slack, tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{data / 'bot.db'}")
    code, out = await run_check(env, tmp_path)
    assert code == 1, out
    assert (
        f"FAIL  database: the folder {data} is not writable by this user (uid {os.getuid()}): "
        "`mava-bot run` could not use it"
    ) in out.splitlines()
    assert entries(data) == []


# --- The command ------------------------------------------------------------------------


async def test_check_passes_and_leaves_no_trace(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    slack.add_channel("C0DIGEST", name="digest")
    env = bot_env(mava, slack, tmp_path, DIGEST_CHANNEL="C0DIGEST", ALERT_CHANNEL="C0DIGEST")
    code, out = await run_check(env, tmp_path)
    assert code == 0, out
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "OK    settings",
        "OK    database",
        "OK    slack",
        "OK    mava",
        "OK    channel C0DIGEST (DIGEST_CHANNEL, ALERT_CHANNEL)",
    ]
    assert entries(tmp_path) == []  # no database file
    assert slack.calls("chat.postMessage") == []
    assert [(r.method, r.path) for r in mava.sandbox.requests] == [("GET", "/api/categories")]


async def test_a_good_webhook_key_is_an_ok_line_a_bad_one_fails_unquoted(
    services: tuple[RunningSandbox, SlackStub], tmp_path: Path
) -> None:
    mava, slack = services
    key = MavaWebhooks(mava.sandbox).signing_key
    code, out = await run_check(
        bot_env(mava, slack, tmp_path, MAVA_WEBHOOK_SIGNING_KEY=key), tmp_path
    )
    assert code == 0, out
    [line] = [line for line in out.splitlines() if line.startswith(("OK    webhooks", "FAIL"))]
    assert line.startswith("OK    webhooks: MAVA_WEBHOOK_SIGNING_KEY is an RSA-2048 key"), out
    assert "POST /mava/webhook" in line
    assert key not in out and key[8:40] not in out

    # Cut short (one paste too few), it is no key: a FAIL line that names it, not its value.
    bad = key[: len(key) // 2]
    code, out = await run_check(
        bot_env(mava, slack, tmp_path, MAVA_WEBHOOK_SIGNING_KEY=bad), tmp_path
    )
    assert code != 0, out
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert failed and all("MAVA_WEBHOOK_SIGNING_KEY" in line for line in failed), out
    assert bad[8:] not in out and bad[8:40] not in out
    assert entries(tmp_path) == []  # no database file either way


async def test_check_with_both_hosts_unreachable_says_what_to_fix(tmp_path: Path) -> None:
    """As a team whose firewall blocks the way out sees it: one line per host, each naming
    the setting and the network, and the database line naming the migrations to apply."""
    mava_url = f"http://127.0.0.1:{free_port()}"
    slack_url = f"http://127.0.0.1:{free_port()}/api/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MAVA_"))}
    env.update(
        SLACK_BOT_TOKEN=DEFAULT_BOT_TOKEN,
        SLACK_APP_TOKEN=DEFAULT_APP_TOKEN,
        SLACK_API_URL=slack_url,
        MAVA_API_TOKEN="check-mava-key",
        MAVA_API_URL=mava_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        DIGEST_CHANNEL="C0DIGEST",
    )
    code, out = await run_check(env, tmp_path)
    assert code == 1, out
    lines = out.splitlines()
    assert lines[:2] == [
        "OK    settings: loaded",
        f"OK    database: {tmp_path / 'bot.db'} does not exist yet; `mava-bot run` will create"
        f" it and apply {len(SHIPPED)} migrations",
    ]
    slack_fix = f"check SLACK_API_URL (unset for real Slack) and {NETWORK}"
    assert lines[2].startswith(f"FAIL  slack: cannot reach {slack_url} (")
    assert lines[2].endswith(slack_fix)
    assert lines[3].startswith(f"FAIL  mava: cannot reach {mava_url}/api/categories (")
    assert lines[3].endswith(f"check MAVA_API_URL and {NETWORK}")
    assert lines[4].startswith(f"FAIL  socket mode: cannot reach {slack_url} (")
    assert lines[4].endswith(slack_fix)
    assert len(lines) == 5  # no channel line: the bot token could not be tried
    assert "Try again" not in out and "Traceback" not in out
    assert DEFAULT_BOT_TOKEN not in out and "check-mava-key" not in out
    assert entries(tmp_path) == []


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_is_the_installed_package_version(flag: str) -> None:
    """From the installed metadata (what pip or pipx installed), so it is the release."""
    script = Path(sys.executable).with_name("mava-bot")
    result = subprocess.run(
        [str(script), flag], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"mava-bot {version('mava-slack-bridge')}\n"
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert version("mava-slack-bridge") == pyproject["project"]["version"]


def test_demo_without_the_sandbox_package_says_how_to_add_it(tmp_path: Path) -> None:
    """As after `pipx install` of the runtime alone: no `mava_bridge.commands` entry point.
    Python without site-packages (-S) sees only src/, so nothing plugs `demo` in."""
    result = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            "import sys; from mava_bridge.cli import main; sys.exit(main(['demo']))",
        ],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT / "src")},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "mava-bot demo comes with the sandbox package, which is not installed: in a clone, "
        "run `pip install -e ./sandbox`; installed with pipx, run `pipx inject "
        "mava-slack-bridge PATH-OR-GIT-URL-OF/sandbox` (README, Install without cloning).\n"
    )
