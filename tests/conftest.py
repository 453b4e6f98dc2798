"""Shared fixtures: a seeded Mava sandbox on loopback (`mava_sandbox`), a fast client for
it (`mava`), the Slack stub (`stub`), a migrated SQLite database (`db`) and `backend`:
SQLite, and PostgreSQL in a schema of its own when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from backends import (
    PG_URL,
    WORKER,
    Backend,
    backend_for,
    migrated_sqlite,
    needs_postgres,
    worker_database,
)
from fast_mava import fast_client

from mava_bridge.mava.client import MavaClient
from mava_bridge.store.db import Database
from mava_sandbox.block_kit_rules import TALLY_ENV, read_tally
from mava_sandbox.mava_server import RunningSandbox, running_mava_sandbox
from mava_sandbox.slack_stub import SlackStub, running_slack_stub

_TALLY = pytest.StashKey[str]()

# PYTHONDONTWRITEBYTECODE (set on the development machines) made every xdist worker
# rewrite the asserts of all test modules again on every run: 11 s of CPU per worker,
# 4.7 s with the rewritten modules cached in __pycache__ (which git ignores).
sys.dont_write_bytecode = False


def pytest_configure(config: pytest.Config) -> None:
    """Every Slack stub of the session (in this process, an xdist worker or a child)
    appends each payload it validates to one file, summed up at the end; each xdist
    worker gets a PostgreSQL database of its own (see backends.py)."""
    if WORKER is not None:
        # A worker: the controller made the tally file (the environment it started us
        # with names it) and sums it up; our tests and their children append to it.
        worker_database(create=True)
        if PG_URL:
            # Tests and the processes they start read it from the environment.
            os.environ["TEST_DATABASE_URL"] = PG_URL
        return
    handle, path = tempfile.mkstemp(prefix="slack-stub-tally-", suffix=".txt")
    os.close(handle)
    os.environ[TALLY_ENV] = path
    config.stash[_TALLY] = path


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    path = config.stash.get(_TALLY, None)
    if path is None:
        return
    validated, refused = read_tally(path)
    why = ", ".join(f"{error} {n}" for error, n in sorted(refused.items()))
    terminalreporter.write_line(
        f"Slack stub: {validated} payloads validated with slack_sdk.models, "
        f"{sum(refused.values())} refused" + (f" ({why})" if why else "")
    )


# The files that took longest (9 s or more each, setup and teardown included, in a -n 6
# run with PostgreSQL on 2 cores: `pytest --durations=0`), longest first. pytest-xdist
# hands out whole files (--dist loadfile) in collection order (--no-loadscope-reorder:
# its default, most tests first, left these few-test files for last, where one of them
# alone decided when the run ended); the many short files then fill in behind them.
SLOW_FIRST = (
    "tests/scenarios/test_socket_mode.py",
    "tests/process/test_inflight_kill.py",
    "tests/process/test_shutdown_bounded.py",
    "tests/scenarios/test_live_pace.py",
    "tests/scenarios/test_command_burst.py",
    "tests/process/test_desk_restart.py",
    "tests/sandbox/test_demo.py",
    "tests/scenarios/test_webhooks.py",
    "tests/scenarios/test_all_switches.py",
    "tests/scenarios/test_app_home.py",
    "tests/scenarios/test_commands.py",
    "tests/process/test_check.py",
    "tests/process/test_socket_mode_run.py",
    "tests/process/test_sla_restart.py",
    "tests/unit/delivery/test_mava_order.py",
    "tests/scenarios/test_reactions.py",
    "tests/process/test_replicas.py",
    "tests/unit/mava/test_lookup_ties.py",
    "tests/unit/services/test_actions.py",
    "tests/scenarios/test_live_pace_commands.py",
    "tests/process/test_thread_restart.py",
    "tests/unit/settings/test_settings.py",
    "tests/process/test_shutdown_queued.py",
    "tests/scenarios/test_ack_burst.py",
    "tests/scenarios/test_reminders_backlog.py",
    "tests/unit/services/test_priority_words.py",
    "tests/scenarios/test_bad_requests.py",
    "tests/scenarios/test_thread_sync.py",
    "tests/unit/delivery/test_scheduler.py",
    "tests/unit/store/test_mava_budget.py",
    "tests/process/test_run.py",
    "tests/scenarios/test_app_home_socket.py",
    "tests/packaging/test_dockerfile_manifest_readme.py",
    "tests/scenarios/test_reports.py",
    "tests/sandbox/test_mava_server.py",
    "tests/scenarios/test_ratings.py",
    "tests/unit/mava/test_client.py",
    "tests/sandbox/test_demo_ratings_report.py",
    "tests/unit/store/test_migrations_and_keys.py",
    "tests/unit/store/test_assignment_ledger.py",
    "tests/scenarios/test_failures_told.py",
    "tests/unit/delivery/test_alerts.py",
    "tests/unit/services/test_desk_messages.py",
    "tests/process/test_digest_preview.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """SLOW_FIRST's files first (a stable sort: every other order is kept)."""
    missing = [path for path in SLOW_FIRST if not (config.rootpath / path).is_file()]
    assert not missing, f"SLOW_FIRST names files that are gone: {missing}"
    rank = {path: n for n, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


@pytest.hookimpl(trylast=True)  # after session fixtures' teardown
def pytest_sessionfinish(session: pytest.Session) -> None:
    # Not in pytest_unconfigure: xdist may end a worker before that has run.
    worker_database(create=False)


def pytest_unconfigure(config: pytest.Config) -> None:
    path = config.stash.get(_TALLY, None)
    if path is not None:
        Path(path).unlink(missing_ok=True)
        os.environ.pop(TALLY_ENV, None)


@pytest.fixture
async def mava_sandbox() -> AsyncIterator[RunningSandbox]:
    """A fresh sandbox (seed 42, 300 tickets, real clock, no rate limit) on a free port.

    Use `.url` as MAVA_API_URL, `.api_key` as MAVA_API_TOKEN, `.sandbox` for state,
    `inject(...)` faults and the `requests` log.
    """
    async with running_mava_sandbox(api_key="test-mava-key", rate_limit=None) as running:
        yield running


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(await migrated_sqlite(tmp_path / "bot.db"))
    yield database
    await database.dispose()


@pytest.fixture
async def stub() -> AsyncIterator[SlackStub]:
    async with running_slack_stub() as running:
        yield running


@pytest.fixture
async def mava(mava_sandbox: RunningSandbox) -> AsyncIterator[MavaClient]:
    client = fast_client(mava_sandbox)
    yield client
    await client.aclose()


# The sandbox's switches for what Mava's reference leaves open about order and paging:
# each set is still consistent with the reference (tests run the bridge under each).
ORDER_SWITCHES: dict[str, dict[str, Any]] = {
    "default": {},
    "nulls_first": {"null_priorities": "first"},
    "string_priorities": {"string_priorities": True},
    "strings_last": {"string_priorities": True, "strings_sort": "last"},
    "random_ties": {"random_ties": True},
    "churn": {"churn": 3},
    "all": {"null_priorities": "first", "string_priorities": True, "random_ties": True, "churn": 3},
}


@pytest.fixture(params=list(ORDER_SWITCHES))
async def switched(request: pytest.FixtureRequest) -> AsyncIterator[RunningSandbox]:
    """A sandbox under each set of ORDER_SWITCHES in turn."""
    async with running_mava_sandbox(
        api_key="test-mava-key", rate_limit=None, **ORDER_SWITCHES[request.param]
    ) as running:
        yield running


@pytest.fixture
async def client(switched: RunningSandbox) -> AsyncIterator[MavaClient]:
    mava = fast_client(switched)
    yield mava
    await mava.aclose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_postgres)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    async with backend_for(request.param, tmp_path) as found:
        yield found
