"""One demo session: type a line, watch what Slack would show and what changed in Mava.

`DemoSession` drives a running `Stack` (Mava sandbox + Slack stub + the bot on
loopback) only through the paths production uses: signed requests into the bot's
`/slack/events`, the bot's Web API calls and response_url posts recorded by the stub,
Mava writes landing in the sandbox. After each line it waits until the bot has gone
quiet, then renders the new Slack records and the sandbox diff.

Lines (see `DEMO_LINES`): `/mava ...`, `shortcut note|reply [TEXT]`, `click LABEL [TICKET]
[TEXT]`, `react EMOJI [TICKET]`, `help`, `quit`/`exit`; blank lines and `# comments` are
skipped. `$T1`, `$T2`, `$T3` and `$HIGH` stand for the sample tickets, so scripts work
whatever the ids; a ticket's short id as shown (`…562460`; `#562460` or `562460` too)
stands for the whole id. `click` presses only buttons Slack would still show: one on a
message or modal the bot has since replaced is refused with the reason, as is a ticket
that has no such button.

The session is one state (session_state) and one mixin per feature: session_commands,
session_clicks, session_mava (live threads), session_desk (home, DMs, paste).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from rich.console import Console, RenderableType

from mava_sandbox.demo import channel as demo_channel
from mava_sandbox.demo import desk
from mava_sandbox.demo.mava_diff import diff, snapshot
from mava_sandbox.demo.render import (
    render_notice,
)
from mava_sandbox.demo.samples import Samples, as_slack_sends, pick_samples
from mava_sandbox.demo.session_clicks import ClicksMixin
from mava_sandbox.demo.session_commands import CommandsMixin
from mava_sandbox.demo.session_desk import DeskMixin
from mava_sandbox.demo.session_mava import MavaMixin
from mava_sandbox.demo.session_state import Ask
from mava_sandbox.demo.words import (
    CHANNEL,
    CHANNEL_NAME,
    DEFAULT_SEED,
    DEFAULT_TICKETS,
    DEMO_LINES,
    USER,
)
from mava_sandbox.mava_server import MavaSandbox
from mava_sandbox.slack_stub import DEFAULT_USERS, SlackStub, StubUser
from mava_sandbox.stack import running_stack


class DemoSession(CommandsMixin, ClicksMixin, MavaMixin, DeskMixin):
    """Runs demo lines against a running stack and prints what each one did."""

    async def start(self, *, digest: bool = True) -> list[RenderableType]:
        """The banner, then `/mava digest` in #support so there is a digest to look at."""
        self._shown = []
        self.show(self.banner())
        await desk.baseline(self.stack.runtime)  # what is assigned already gets no DM
        if digest:
            self.echo("/mava digest")
            await self._command("digest")
        self.show(self.legend())
        return self._shown

    # --- lines --------------------------------------------------------------------

    async def run_line(self, line: str) -> list[RenderableType]:
        """Run one line; returns what it printed (also printed to the console)."""
        self._shown = []
        line = line.strip()
        if not line or line.startswith("#"):
            return self._shown
        self.lines_run += 1
        line = self.samples.expand(line)
        word, _, rest = line.partition(" ")
        word = word.lower()
        rest = rest.strip()
        if word in ("quit", "exit", "q"):
            self.finished = True
        elif word in ("help", "?"):
            self.show(self.help())
        elif word == "/mava":
            command = self._full_ticket_id(rest)
            if command is not None:
                await self._command(command)
        elif word == "mava":
            self.show(render_notice("Commands start with a slash: /mava " + rest, "yellow"))
        elif word == "shortcut":
            await self._shortcut(rest)
        elif word == "click":
            await self._click(rest)
        elif word == "customer":
            await self._customer(rest)
        elif word == "dashboard":
            await self._dashboard(rest)
        elif word == "thread":
            self._thread(rest)
        elif word == "say":
            await self._say(rest)
        elif word == "react":
            await self._react(rest)
        elif word == "paste":
            await self._paste(rest)
        elif word == "home":
            await self._home()
        elif word == "dms":
            await self._dms()
        elif word == "rate":
            await self._rate(rest)
        elif word == "webhooks":
            self.show(render_notice(await self.webhooks.switch(rest.lower())))
        else:
            self.show(render_notice(f"I don't know '{word}'. Type help for what works.", "yellow"))
        return self._shown


def add_agent_members(stub: SlackStub, sandbox: MavaSandbox) -> list[StubUser]:
    """A Slack member for each Mava agent the stub's directory lacks (matched by email,
    as the bot matches them), so `/mava assign TICKET @omar` has someone to assign."""
    emails = {u.email for u in DEFAULT_USERS if u.email}
    added = []
    for agent in sandbox.agents.values():
        if not agent.email or agent.email in emails:
            continue
        first = agent.name.split(" ")[0]
        handle = "".join(c for c in first if c.isascii() and c.isalnum()) or agent.id[-6:]
        user_id = f"U0{handle.upper()}"
        if stub.user(user_id) is not None:
            continue
        added.append(
            stub.add_user(
                user_id,
                name=handle.lower(),
                real_name=agent.name,
                display_name=first,
                email=agent.email,
            )
        )
    return added


@dataclass
class DemoResult:
    """What a finished demo leaves behind; the sandbox and stub keep their final state."""

    sandbox: MavaSandbox
    slack: SlackStub
    samples: Samples
    lines_run: int


@contextlib.asynccontextmanager
async def open_demo(
    console: Console,
    *,
    seed: int = DEFAULT_SEED,
    tickets: int = DEFAULT_TICKETS,
    ask: Ask | None = None,
    **settings_overrides: Any,
) -> AsyncIterator[DemoSession]:
    """A running stack (temporary SQLite DB) and a session on it, for the block's duration."""
    async with running_stack(
        mava_options={"seed": seed, "tickets": tickets}, webhooks=True, **settings_overrides
    ) as stack:
        directory = [*DEFAULT_USERS, *add_agent_members(stack.slack, stack.mava.sandbox)]
        team = [u.id for u in directory if not (u.is_bot or u.deleted or u.is_restricted)]
        members = dict.fromkeys([USER, *team])  # @Jane first: she subscribes the channel
        await demo_channel.set_up(stack, CHANNEL, CHANNEL_NAME, members)
        samples = pick_samples(stack.mava.sandbox, stack.settings.ticket_url)
        session = DemoSession(stack, console, samples, ask=ask, directory=directory)
        try:
            yield session
        finally:
            await session.webhooks.close()


async def run_demo(
    lines: Iterable[str],
    console: Console,
    *,
    seed: int = DEFAULT_SEED,
    tickets: int = DEFAULT_TICKETS,
    echo: bool = True,
    digest: bool = True,
) -> DemoResult:
    """The whole demo from a script: banner and digest, then each line (echoed as if
    typed), until the lines run out or one says quit. Modals are submitted as filled in."""
    async with open_demo(console, seed=seed, tickets=tickets) as session:
        await session.start(digest=digest)
        for line in lines:
            stripped = line.strip()
            if echo and stripped and not stripped.startswith("#"):
                session.echo(stripped)
            await session.run_line(line)
            if session.finished:
                break
        return DemoResult(session.sandbox, session.stub, session.samples, session.lines_run)


__all__ = [
    "CHANNEL",
    "DEFAULT_SEED",
    "DEFAULT_TICKETS",
    "DEMO_LINES",
    "USER",
    "Ask",
    "DemoResult",
    "DemoSession",
    "Samples",
    "add_agent_members",
    "as_slack_sends",
    "diff",
    "open_demo",
    "pick_samples",
    "run_demo",
    "snapshot",
]
