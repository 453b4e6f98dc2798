"""The demo session's state, in one place, and what every feature shares: showing
things, waiting for the bot to settle, showing its calls, the buttons on screen. The
feature mixins (session_commands, session_clicks, session_mava, session_desk) act on it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import httpx
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from mava_bridge.domain.ticket_refs import short_ref
from mava_bridge.slack.command.help import HELP_ENTRIES
from mava_sandbox.demo.mava_diff import Snapshot, diff, snapshot
from mava_sandbox.demo.render import (
    render_changes,
    render_ephemeral,
    render_message,
    render_modal,
    render_notice,
)
from mava_sandbox.demo.samples import Samples, slack_ts
from mava_sandbox.demo.surfaces import Surface, buttons
from mava_sandbox.demo.webhooks import DemoWebhooks
from mava_sandbox.demo.words import (
    _SURFACES_KEPT,
    ANSWER_METHODS,
    CHANNEL,
    CHANNEL_NAME,
    DEMO_LINES,
    HELP_NOTES,
    JSON,
    MAX_WAIT_SECONDS,
    POLL_SECONDS,
    QUIET_SECONDS,
    USER,
)
from mava_sandbox.mava_seed import PRIORITY_LABELS
from mava_sandbox.mava_server import MavaSandbox
from mava_sandbox.slack_stub import DEFAULT_USERS, RESPONSE_URL, SlackCall, SlackStub, StubUser
from mava_sandbox.stack import Stack


class Ask(Protocol):
    """Asks the person at the keyboard; an empty answer gives `default`."""

    async def __call__(self, question: str, *, default: str = "") -> str: ...


# --- The session -----------------------------------------------------------------------


class SessionState:
    """One demo: the stack, what is on screen, and how the bot's calls are shown."""

    def __init__(
        self,
        stack: Stack,
        console: Console,
        samples: Samples,
        *,
        ask: Ask | None = None,
        directory: Sequence[StubUser] = DEFAULT_USERS,
    ) -> None:
        """`ask` None = scripted: modals are submitted as filled in, nothing is asked.
        `directory`: the Slack members `@name` in a command may refer to."""
        self.stack = stack
        self.directory = list(directory)
        self.console = console
        self.samples = samples
        self.ask = ask
        self.finished = False
        self.lines_run = 0
        self._shown: list[RenderableType] = []
        self._surfaces: list[Surface] = []
        # response_url name -> the ephemeral whose button gave it (see `_show_call`).
        self._answers_to: dict[str, Surface] = {}
        self.webhooks = DemoWebhooks(stack)

    # --- output -------------------------------------------------------------------

    @property
    def stub(self) -> SlackStub:
        return self.stack.slack

    @property
    def sandbox(self) -> MavaSandbox:
        return self.stack.mava.sandbox

    def user_name(self, user_id: str) -> str | None:
        """A member's name as Slack shows it (and #support's name for its id)."""
        if user_id == CHANNEL:
            return CHANNEL_NAME
        user = self.stub.user(user_id)
        if user is None:
            return None
        return user.display_name or user.real_name or user.name

    def channel_label(self, channel: str | None) -> str:
        if not channel:
            return ""
        if channel == CHANNEL:
            return f"#{CHANNEL_NAME}"
        if channel.startswith("D"):
            return f"DM with @{self.user_name('U' + channel[1:]) or channel}"
        return f"#{channel.lower()}"

    def show(self, renderable: RenderableType) -> None:
        self._shown.append(renderable)
        self.console.print(renderable)

    def echo(self, line: str) -> None:
        """Print a scripted line as if typed at the prompt."""
        self.show(Text("mava> ", "bold green").append(line, "bold"))

    # --- start --------------------------------------------------------------------

    def banner(self) -> RenderableType:
        sandbox = self.sandbox
        intro = Text.assemble(
            ("Mava ↔ Slack demo", "bold"),
            ": a Mava sandbox ",
            (f"({len(sandbox.tickets)} tickets)", "dim"),
            ", a local Slack stub and the bot in HTTP mode, all on this machine. "
            "Every command goes to the bot as a signed Slack request, as in production. "
            "You are ",
            ("@Jane", "bold cyan"),
            " in ",
            ("#support", "bold cyan"),
            ".",
        )
        sample = render_message(
            self.samples.message,
            users=self.user_name,
            title="#support · what shortcut note and shortcut create act on",
        )
        draft = render_message(
            self.samples.draft,
            users=self.user_name,
            title="#support · Sam's draft for the customer: what shortcut reply acts on",
        )
        people = Text.assemble(
            ("Mava agents in this Slack: ", "bold"), ", ".join(["@jane (you)", *self._members()])
        )
        return Group(intro, Text(""), people, sample, draft)

    def _members(self) -> list[str]:
        """`@name` of the other Slack members who are Mava agents."""
        agents = {a.email for a in self.sandbox.agents.values()}
        return [f"@{u.name}" for u in self.directory if u.email in agents and u.id != USER]

    def legend(self) -> RenderableType:
        """The sample tickets and what to try. Printed last at start (after the digest,
        so it is on screen at the first prompt) and at the end of `help`."""
        sandbox = self.sandbox
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold cyan")
        grid.add_column()
        grid.add_column(style="dim")
        for name, ticket_id in self.samples.placeholders().items():
            ticket = sandbox.get(ticket_id) or {}
            agent = sandbox.agents.get(ticket.get("assignedTo") or "")
            facts = " · ".join(
                [
                    str(ticket.get("status")),
                    PRIORITY_LABELS.get(ticket.get("priority") or 0, "no") + " priority",
                    agent.name if agent else "Unassigned",
                    str(ticket.get("sourceType")),
                ]
            )
            grid.add_row(Text(name), Text(ticket_id), Text(facts))
        other = (self._members() or ["@jane"])[0]
        high = short_ref(self.samples.high_unassigned)
        tips = Text.assemble(
            ("Try: ", "bold"),
            "/mava show $T1 · /mava reply $T1 Thanks, on it! · /mava note $T1 Gold plan · "
            f"click Resolve $T1 · click Assign to me $HIGH · /mava assign $T2 {other} · "
            f"/mava tickets unassigned high · /mava show {high} · "
            "shortcut note · /mava follow $T1 · say $T1 Refund sent · customer $T1 Any news? · "
            "dashboard $T1 status=Pending assignee=Omar · thread $T1 · help · quit",
        )
        return Group(
            Text.assemble(
                ("Sample tickets: ", "bold"),
                (
                    "type $T1 for the first id; a short id as shown (…a1b2c3, #a1b2c3) works too",
                    "dim",
                ),
            ),
            grid,
            tips,
        )

    def help(self) -> RenderableType:
        def grid(rows: Iterable[tuple[str, str]]) -> Table:
            table = Table.grid(padding=(0, 2))
            table.add_column(style="bold", max_width=44, overflow="fold")
            table.add_column()
            for syntax, summary in rows:
                table.add_row(Text(syntax), Text(summary))
            return table

        return Group(
            Text("Demo lines:", "bold"),
            grid(DEMO_LINES),
            Text(HELP_NOTES, "dim"),
            Text(""),
            Text("/mava commands:", "bold"),
            grid((entry.syntax, entry.summary) for entry in HELP_ENTRIES),
            Text(""),
            self.legend(),
        )

    async def _settle(self, mark: int, *, expect_answer: bool = True) -> list[SlackCall]:
        """Wait for the bot's asynchronous answer: Bolt acks first and works afterwards.

        Done when the bot has no handler running and no new Slack call came for
        QUIET_SECONDS, after at least one answer (when one is expected); at most
        MAX_WAIT_SECONDS."""
        inflight = self.stack.runtime.deps.inflight
        started = last_change = time.monotonic()
        seen = mark
        while True:
            await asyncio.sleep(POLL_SECONDS)
            calls = self.stub.calls()
            now = time.monotonic()
            if len(calls) != seen:
                seen, last_change = len(calls), now
            answered = not expect_answer or any(c.method in ANSWER_METHODS for c in calls[mark:])
            if answered and inflight.count == 0 and now - last_change >= QUIET_SECONDS:
                break
            if now - started >= MAX_WAIT_SECONDS:
                waited = f"(no answer from the bot after {MAX_WAIT_SECONDS:.0f} s)"
                self.show(render_notice(waited, "yellow"))
                break
        return self.stub.calls()[mark:]

    def _refused(self, response: httpx.Response) -> bool:
        """Show that the bot answered other than HTTP 200; True when it did."""
        if response.status_code == 200:
            return False
        self.show(render_notice(f"The bot answered HTTP {response.status_code}.", "red"))
        return True

    def _show_calls(self, calls: Sequence[SlackCall]) -> JSON | None:
        """Render what the user would see; returns the last modal that wants input."""
        form: JSON | None = None
        for call in calls:
            if call.method not in ANSWER_METHODS:
                continue
            if not call.ok:
                refusal = call.error or str(call.status)
                self.show(render_notice(f"Slack refused {call.method}: {refusal}", "red"))
                continue
            opened = self._show_call(call)
            if opened is not None:
                is_form = isinstance(opened.get("submit"), dict)
                form = opened if is_form else None
        return form

    def _show_call(self, call: SlackCall) -> JSON | None:
        users = self.user_name
        response: JSON = call.response or {}
        if call.method == RESPONSE_URL:
            body = call.params
            origin = self._answers_to.get(call.target or "")
            if body.get("delete_original") or body.get("replace_original"):
                what = "deleted" if body.get("delete_original") else "replaced"
                self._retire(origin, f"the bot has {what} that message since")
            if body.get("delete_original"):
                self.show(render_notice("The bot deleted the message the button was on."))
            elif body.get("response_type") == "in_channel":
                self.show(render_message(body, users=users, title="#support"))
            else:
                replaced = " (replaces the one above)" if body.get("replace_original") else ""
                self.show(render_ephemeral(body, users=users, where="#support" + replaced))
                self._remember(Surface("ephemeral", _blocks(body), CHANNEL, slack_ts()))
        elif call.method in ("chat.postMessage", "chat.update"):
            channel = str(response.get("channel") or "")
            message: JSON = response.get("message") or {}
            where = self.channel_label(channel)
            parent = None
            thread_ts = message.get("thread_ts")
            if thread_ts and thread_ts != message.get("ts"):
                parent = self.stub.message(channel, str(thread_ts))
            title = where + (" · message updated" if call.method == "chat.update" else "")
            self.show(render_message(message, users=users, title=title, replies_to=parent))
            self._remember(
                Surface("message", _blocks(message), channel, str(message.get("ts") or ""))
            )
        elif call.method == "chat.postEphemeral":
            where = self.channel_label(str(call.params.get("channel") or ""))
            self.show(render_ephemeral(call.params, users=users, where=where))
            self._remember(
                Surface("ephemeral", _blocks(call.params), CHANNEL, response.get("message_ts"))
            )
        elif call.method == "chat.delete":
            where = self.channel_label(str(response.get("channel") or ""))
            self.show(render_notice(f"The bot deleted a message in {where}."))
        elif call.method in ("views.open", "views.push", "views.update", "views.publish"):
            view: JSON = response.get("view") or {}
            heading = {
                "views.open": "Modal opened",
                "views.push": "Modal pushed",
                "views.update": "Modal updated",
                "views.publish": "App Home",
            }[call.method]
            self.show(render_modal(view, users=users, heading=heading))
            self._remember(Surface("modal", _blocks(view), view=view))
            return view if view.get("type") == "modal" else None
        return None

    def _remember(self, surface: Surface) -> None:
        """Keep what has buttons; a new version of a message or modal retires the old
        one (its buttons are then refused, saying why)."""
        replaced = (
            "the bot has updated that message since"
            if surface.kind == "message"
            else "the bot has changed that modal since"
        )
        for old in self._surfaces:
            if old.gone is None and old.same_place(surface):
                if old.blocks == surface.blocks:
                    return
                old.gone = replaced
        if buttons(surface):
            self._surfaces.append(surface)
        del self._surfaces[:-_SURFACES_KEPT]

    def _retire(self, surface: Surface | None, why: str) -> None:
        """`surface` (and any version of it) is no longer shown."""
        if surface is None:
            return
        for old in self._surfaces:
            if old is surface or (old.gone is None and old.same_place(surface)):
                old.gone = old.gone or why

    def _refresh_messages(self) -> None:
        """Channel messages as Slack shows them now: the bot may have edited or deleted
        one since it was drawn (chat.update, a response_url replace)."""
        for surface in list(self._surfaces):
            if surface.kind != "message" or surface.gone is not None:
                continue
            current = self.stub.message(surface.channel or CHANNEL, surface.ts or "")
            if current is None:
                surface.gone = "the bot has deleted that message"
            else:
                fresh = Surface("message", _blocks(current), surface.channel, surface.ts)
                self._remember(fresh)

    def _show_diff(self, before: Snapshot) -> None:
        self.show(render_changes(diff(self.sandbox, before, snapshot(self.sandbox))))


def _blocks(payload: Mapping[str, Any]) -> list[JSON]:
    blocks = payload.get("blocks")
    return [b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else []


# --- Running a whole demo ----------------------------------------------------------------
