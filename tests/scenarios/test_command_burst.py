"""500 commands in about a second: every one acked and answered, none lost to the
database connection pool, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from backends import fresh_postgres, needs_postgres
from sqlalchemy import text

from mava_sandbox.slack_requests import slash_command
from mava_sandbox.slack_stub import RESPONSE_URL
from mava_sandbox.stack import Stack

from .conftest import flat, idle, new_ticket, run, scenario_stack, shown, target_of
from .log_capture import captured_logs
from .slack_burst import Ack, post_from_slack

COMMANDS = 500
PEOPLE = 500  # one command each: no profile cached, the most database work
SPREAD_SECONDS = 1.0


@pytest.fixture
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """None (the stack's own SQLite file), or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    async with fresh_postgres("mava_burst") as url:
        yield url


async def burst(stack: Stack, ticket: str) -> list[tuple[str, str, Ack]]:
    """Send COMMANDS signed `/mava show` spread evenly over SPREAD_SECONDS."""
    people = [f"U0BURST{i:03d}" for i in range(PEOPLE)]
    for person in people:
        stack.slack.add_user(person, name=person.lower(), email=f"{person.lower()}@example.com")
    senders = [people[i % PEOPLE] for i in range(COMMANDS)]
    urls = [stack.slack.response_url() for _ in senders]
    bodies = [
        slash_command(f"show {ticket}", user_id=person, response_url=url)
        for person, url in zip(senders, urls, strict=True)
    ]
    responses = await post_from_slack(stack.url, bodies, spread=SPREAD_SECONDS)
    return [
        (person, target_of(url), response)
        for person, url, response in zip(senders, urls, responses, strict=True)
    ]


@pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("postgresql", marks=needs_postgres)], indirect=True
)
async def test_500_commands_in_a_second_are_all_answered(database_url: str | None) -> None:
    async with scenario_stack(database_url=database_url) as stack:
        ticket = new_ticket(stack, messages=["Where is my order?"])
        with captured_logs() as logs:
            started = time.monotonic()
            sent = await burst(stack, ticket)
            sending = time.monotonic() - started
            await stack.slack.wait_for(RESPONSE_URL, COMMANDS, timeout=180.0)
            answered = time.monotonic() - started
            await idle(stack)  # every handler done: no second answer is still coming
        answers = stack.slack.calls(RESPONSE_URL)
        by_target = {call.target: call.params for call in answers}
        acked = sum(1 for _, _, response in sent if response.status == 200)
        slowest_ack = max(response.seconds for _, _, response in sent)
        print(
            f"\n{COMMANDS} commands from {PEOPLE} people sent in {sending:.2f} s; "
            f"{acked} acked (slowest {slowest_ack * 1000:.0f} ms); all answered after "
            f"{answered:.1f} s"
        )
        assert acked == COMMANDS
        assert len(answers) == len(by_target) == COMMANDS  # each command answered once
        for person, target, _ in sent:
            card = flat(shown(by_target[target]))
            assert "Where is my order?" in card, (person, card)
        assert logs.errors() == [], logs.errors()[:2]
        assert not [r for r in logs.records() if "QueuePool" in r.get("message", "")]


async def test_a_profile_cache_the_database_cannot_serve_refuses_nobody() -> None:
    """The database cache of Slack profiles is a cache: when it fails (here its table is
    gone), the access check asks Slack instead, and each person is remembered in memory."""
    async with scenario_stack() as stack:
        ticket = new_ticket(stack, messages=["Is anyone there?"])
        async with stack.runtime.db.engine.begin() as conn:
            await conn.execute(text("DROP TABLE slack_users"))
        with captured_logs() as logs:
            for _ in range(3):
                card = flat(shown(await run(stack, f"show {ticket}")))
                assert "Is anyone there?" in card, card
        assert logs.errors() == []
        warnings = [r["message"] for r in logs.records() if r["level"] == "WARNING"]
        assert any("profile cache not read" in m for m in warnings), warnings
        # Asked once; the next two commands found the person in memory.
        assert len(stack.slack.calls("users.info")) == 1
