"""One demo session: type a line, watch what Slack would show and what changed in Mava.

`DemoSession` drives a running `Stack` (Mava sandbox + Slack stub + the bot on
loopback) only through the paths production uses: signed requests into the bot's
`/slack/events`, the bot's Web API calls and response_url posts recorded by the stub,
Mava writes landing in the sandbox. After each line it waits until the bot has gone
quiet, then renders the new Slack records and the sandbox diff.

Lines (see `DEMO_LINES`): `/mava ...`, `shortcut note|reply [TEXT]`, `click LABEL [TICKET]
[TEXT]`, `help`, `quit`/`exit`; blank lines and `# comments` are skipped. `$T1`, `$T2`,
`$T3` and `$HIGH` stand for the sample tickets, so scripts work whatever the ids; a
ticket's short id as shown (`…562460`; `#562460` or `562460` too) stands for the whole
id. `click` presses only buttons Slack would still show: one on a message or modal the
bot has since replaced is refused with the reason, as is a ticket that has no such button.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from mava_bridge.domain.ticket_refs import ending_with, is_object_id, short_ref, short_tail
from mava_bridge.slack.callback_ids import (
    BLOCK_EMAIL,
    BLOCK_TEXT,
    SHORTCUT_ADD_NOTE,
    SHORTCUT_CREATE,
    SHORTCUT_REPLY,
)
from mava_bridge.slack.command.help import HELP_ENTRIES
from mava_sandbox.demo import channel as demo_channel
from mava_sandbox.demo import desk, modal_inputs, paste
from mava_sandbox.demo.mava_diff import Snapshot, diff, snapshot
from mava_sandbox.demo.render import (
    render_changes,
    render_ephemeral,
    render_message,
    render_modal,
    render_notice,
    render_thread,
)
from mava_sandbox.demo.samples import Samples, as_slack_sends, pick_samples, slack_ts
from mava_sandbox.demo.surfaces import Button, Surface, buttons
from mava_sandbox.demo.threads import (
    find_cards,
    find_ticket,
    parse_changes,
    thread_sync,
)
from mava_sandbox.demo.webhooks import DemoWebhooks
from mava_sandbox.mava_files import split_files
from mava_sandbox.mava_seed import PRIORITY_LABELS
from mava_sandbox.mava_server import MavaSandbox
from mava_sandbox.slack_stub import DEFAULT_USERS, RESPONSE_URL, SlackCall, SlackStub, StubUser
from mava_sandbox.stack import Stack, running_stack

JSON = dict[str, Any]

CHANNEL: Final = "C0SUPPORT"
CHANNEL_NAME: Final = "support"
USER: Final = "U0JANE"  # the demo's user: a Slack member linked to a Mava agent
DEFAULT_SEED: Final = 42
DEFAULT_TICKETS: Final = 120
QUIET_SECONDS: Final = 0.3  # no new Slack calls for this long = the bot is done
MAX_WAIT_SECONDS: Final = 10.0
POLL_SECONDS: Final = 0.02
MAX_MODAL_ROUNDS: Final = 5  # submit, fix an inline error, resubmit...

# Calls that put something in front of the user.
ANSWER_METHODS: Final = frozenset(
    {
        RESPONSE_URL,
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.delete",
        "views.open",
        "views.push",
        "views.update",
        "views.publish",
    }
)
SHORTCUTS: Final = {"note": SHORTCUT_ADD_NOTE, "reply": SHORTCUT_REPLY, "create": SHORTCUT_CREATE}
SHORTCUT_NAMES: Final = {"note": "Add as private note", "reply": "Reply to customer"}
# /mava subcommands whose first argument is a ticket.
TICKET_COMMANDS: Final = frozenset(
    {
        "show",
        "reply",
        "note",
        "status",
        "resolve",
        "close",
        "reopen",
        "priority",
        "category",
        "assign",
        "follow",
        "unfollow",
    }
)
_SURFACES_KEPT: Final = 40  # messages and modals `click` looks through, newest first

# The demo's own lines: (syntax, what it does).
DEMO_LINES: Final = (
    ("/mava ...", "any /mava command, as @Jane in #support (list below)"),
    ("shortcut note [TEXT]", "“Add as private note” on Sam's sample message"),
    ("shortcut reply [TEXT]", "“Reply to customer” on the same message"),
    (
        "shortcut create EMAIL",
        "“Create Mava ticket” on the same message, for the customer EMAIL: the new ticket "
        "is followed in the message's thread (/mava create EMAIL TEXT: in a card here)",
    ),
    ("click LABEL [TICKET] [TEXT]", "press a button shown above, e.g. click Resolve $T1"),
    (
        "customer TICKET TEXT [file=NAME ...]",
        "the customer writes on the ticket (in Mava), attaching files",
    ),
    (
        "dashboard TICKET key=value ...",
        "an agent changes the ticket in Mava's dashboard: status, priority, category, "
        "assignee (e.g. status=Pending assignee=Omar)",
    ),
    ("thread TICKET", "the Slack thread of the ticket's card, as it is now"),
    (
        "say TICKET TEXT",
        "@Jane writes TEXT in the thread of the ticket's card (after /mava follow TICKET): "
        "the bot makes it a private note in Mava",
    ),
    ("webhooks on|off", "Mava's sandbox sends signed webhooks: the bot reacts without a sync"),
    ("paste LINK", "@Jane pastes a ticket's dashboard link (or id) in #support: its unfurl card"),
    (
        "home",
        "@Jane opens the app's Home tab: her tickets, the unassigned queue, her channels' "
        "subscriptions (its buttons work: click Assign to me $T1)",
    ),
    (
        "dms",
        "the bot's desk jobs run now: a DM for each ticket newly assigned (try dashboard $T2 "
        "assignee=Omar, or /mava assign $T3 @Omar) and a reminder for each customer waiting "
        "too long in a channel subscribed with /mava subscribe reminders after 30m",
    ),
    ("help", "this text"),
    ("quit", "leave (Ctrl-D works too)"),
)
HELP_NOTES: Final = (
    "$T1 $T2 $T3 $HIGH stand for the sample tickets (below). A ticket's short id as Home, "
    "lists, digests and cards show it (…562460; #562460 or 562460 too) works in commands "
    "and clicks. A button works "
    "while it is on screen; one the bot has since replaced is refused, as Slack no longer "
    "shows it. When the bot opens a modal you are asked whether to submit it; in a script "
    "it is submitted as filled in, with TEXT (when given) in its text box. Lines starting "
    "with # are comments."
)


class Ask(Protocol):
    """Asks the person at the keyboard; an empty answer gives `default`."""

    async def __call__(self, question: str, *, default: str = "") -> str: ...


# --- The session -----------------------------------------------------------------------


class DemoSession:
    """Runs demo lines against a running stack and prints what each one did."""

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
        elif word == "paste":
            await self._paste(rest)
        elif word == "home":
            await self._home()
        elif word == "dms":
            await self._dms()
        elif word == "webhooks":
            self.show(render_notice(await self.webhooks.switch(rest.lower())))
        else:
            self.show(render_notice(f"I don't know '{word}'. Type help for what works.", "yellow"))
        return self._shown

    def _full_ticket_id(self, rest: str) -> str | None:
        """`show …562460` → `show 6b07…562460`: lists show a ticket's last 6 characters (in
        Slack they link to it, so copying gives the whole id); here the tail works as
        typed. None when the tail fits several tickets (the user is told)."""
        match = re.match(r"(\S+)(\s+)(\S+)(.*)$", rest, re.DOTALL)
        if match is None or match.group(1).lower() not in TICKET_COMMANDS:
            return rest
        typed = match.group(3)
        if short_tail(typed) is None:
            return rest
        found = ending_with(typed, [str(t["_id"]) for t in self.sandbox.tickets])
        if len(found) > 1:
            listed = ", ".join(found[:5]) + (", …" if len(found) > 5 else "")
            self.show(
                render_notice(
                    f"{match.group(3)} fits {len(found)} tickets ({listed}): give more of "
                    "the id. Nothing was sent.",
                    "yellow",
                )
            )
            return None
        if not found:
            self.show(render_notice(f"No ticket's id ends in {typed}. Nothing was sent.", "yellow"))
            return None
        self.show(render_notice(f"({match.group(3)} is ticket {found[0]})"))
        return "".join((match.group(1), match.group(2), found[0], match.group(4)))

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

    async def _command(self, text: str) -> None:
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        sent = as_slack_sends(text, self.directory)
        response = await self.stack.sender.command(sent, user_id=USER, channel_id=CHANNEL)
        if response.status_code != 200:
            self.show(render_notice(f"The bot answered HTTP {response.status_code}.", "red"))
        elif response.content.strip():  # an ack with a body is shown like Slack shows it
            with contextlib.suppress(ValueError):
                body = response.json()
                if isinstance(body, dict) and (body.get("text") or body.get("blocks")):
                    self.show(render_ephemeral(body, users=self.user_name, where="#support"))
        settled = await self._settle(mark)
        form = self._show_calls(settled)
        if form is not None:
            await self._drive_modal(form, None)
        self._show_diff(before)

    async def _shortcut(self, rest: str) -> None:
        kind, _, text = rest.partition(" ")
        callback_id = SHORTCUTS.get(kind.lower())
        if callback_id is None:
            self.show(
                render_notice(
                    "Say `shortcut note`, `shortcut reply` or `shortcut create`.", "yellow"
                )
            )
            return
        what = SHORTCUT_NAMES.get(kind.lower(), "Create Mava ticket")
        which = "draft for the customer" if kind.lower() == "reply" else "message"
        self.show(render_notice(f"@Jane runs “{what}” on @Sam's {which} in #support."))
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        message = self.samples.message_for(kind.lower())
        response = await self.stack.sender.shortcut(
            callback_id, message=message, user_id=USER, channel_id=CHANNEL
        )
        if response.status_code != 200:
            self.show(render_notice(f"The bot answered HTTP {response.status_code}.", "red"))
        settled = await self._settle(mark)
        form = self._show_calls(settled)
        if form is not None:
            if callback_id == SHORTCUT_CREATE:  # TEXT is the customer's email here
                await self._drive_modal(form, None, email=text.strip() or None)
            else:
                await self._drive_modal(form, text.strip() or None)
        self._show_diff(before)

    # --- live ticket threads: Mava changes, then one pass of the bot's thread sync ---

    async def _customer(self, rest: str) -> None:
        token, _, text = rest.partition(" ")
        if not token or not text.strip():
            self.show(render_notice("Say `customer TICKET TEXT`, e.g. customer $T1 Any news?"))
            return
        words, files = split_files(text)  # `file=NAME` words attach a file
        await self._in_mava(
            token,
            "The customer writes on ticket {ticket} (in Mava).",
            lambda ticket: self.sandbox.customer_writes(ticket, words, attachments=files),
        )

    async def _dashboard(self, rest: str) -> None:
        token, _, text = rest.partition(" ")
        try:
            changes = parse_changes(self.sandbox, text)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        await self._in_mava(
            token,
            "An agent changes ticket {ticket} in Mava's dashboard.",
            lambda ticket: self.sandbox.dashboard(ticket, **changes),
        )

    async def _home(self) -> None:
        """@Jane opens the app's Home tab: Slack sends app_home_opened, the bot publishes
        her Home (views.publish), shown like a modal whose buttons `click` presses."""
        mark = len(self.stub.calls())
        self.show(render_notice("@Jane opens the Mava app's Home tab (app_home_opened)"))
        event = {"type": "app_home_opened", "user": USER, "channel": f"D{USER[1:]}", "tab": "home"}
        await self.stack.sender.event(event)
        self._show_calls(await self._settle(mark, expect_answer=False))

    async def _dms(self) -> None:
        """The leader's assignment-DM and reminder jobs, now; their posts show below."""
        mark = len(self.stub.calls())
        said = await desk.run_jobs(self.stack.runtime)
        self._show_calls(await self._settle(mark, expect_answer=False))
        self.show(render_notice(said))

    async def _paste(self, rest: str) -> None:
        """@Jane pastes a link; Slack sends link_shared; the bot's card (if any) shows."""
        try:
            text = paste.pasted_text(self.sandbox, self.stack.runtime.deps.link, rest)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        mark = len(self.stub.calls())
        event = self.stub.user_link(CHANNEL, USER, text)
        posted = self.stub.message(CHANNEL, event["message_ts"]) or {"text": text}
        self.show(render_message(posted, users=self.user_name, title="#support"))
        await self.stack.sender.event(event)
        calls = await self._settle(mark, expect_answer=False)
        card = paste.unfurl_message(self.stub, CHANNEL, event["message_ts"])
        if card is None:
            self.show(render_notice(paste.why_not(list(calls)), "yellow"))
        else:
            title = "#support · unfurled under @Jane's message (chat.unfurl)"
            self.show(render_message(card, users=self.user_name, title=title))

    async def _in_mava(self, token: str, what: str, change: Callable[[str], object]) -> None:
        """Make `change` to the ticket `token` names, show the Mava diff, then what the
        bot's thread sync does with it in Slack."""
        try:
            ticket = find_ticket(self.sandbox, token)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        self.show(render_notice(what.format(ticket=ticket)))
        change(ticket)
        self._show_diff(before)
        sync = thread_sync(self.stack.runtime)
        if self.webhooks.on:
            self.show(render_notice("Mava sends a webhook; the bot reads Mava now…"))
            await self.webhooks.reaction()
            self._show_calls(await self._settle(mark, expect_answer=False))
        elif sync is None:
            self.show(render_notice("(this build of the bot has no ticket thread sync)", "yellow"))
        else:
            self.show(render_notice("The bot's thread sync polls Mava…"))
            await sync()
            self._show_calls(await self._settle(mark, expect_answer=False))
        if not find_cards(self.stub, ticket):
            self.show(
                render_notice(
                    f"No Slack card follows ticket {ticket}: /mava follow {ticket} posts one "
                    "in #support and follows it in its thread.",
                    "yellow",
                )
            )

    async def _say(self, rest: str) -> None:
        """@Jane writes in the thread of the ticket's card: Slack sends the bot the
        `message` event, as for any reply there; the note lands in Mava."""
        token, _, text = rest.partition(" ")
        if not token or not text.strip():
            self.show(render_notice("Say `say TICKET TEXT`, e.g. say $T1 Refund sent today."))
            return
        try:
            ticket = find_ticket(self.sandbox, token)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        cards = sorted(find_cards(self.stub, ticket), key=lambda found: found[0] != CHANNEL)
        if not cards:
            self.show(
                render_notice(
                    f"No card of ticket {ticket} has a thread to write in: /mava follow "
                    f"{ticket} posts one in #support first.",
                    "yellow",
                )
            )
            return
        channel, card = cards[0]
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        typed = as_slack_sends(text.strip(), self.directory)  # as Slack stores it: &amp; …
        event = self.stub.user_message(channel, USER, typed, thread_ts=card["ts"])
        said = self.stub.message(channel, event["ts"]) or event
        where = f"{self.channel_label(channel)} · @Jane in the thread of ticket {ticket}"
        self.show(render_message(said, users=self.user_name, title=where, replies_to=card))
        await self.stack.sender.event(event)
        self._show_calls(await self._settle(mark, expect_answer=False))
        if self.stub.reactions(channel, event["ts"]):
            self.show(render_notice("The bot reacted ✅ to @Jane's message: it is in Mava."))
        self._show_diff(before)

    def _thread(self, rest: str) -> None:
        try:
            ticket = find_ticket(self.sandbox, rest)
        except ValueError as problem:
            self.show(render_notice(str(problem), "yellow"))
            return
        cards = find_cards(self.stub, ticket)
        if not cards:
            self.show(
                render_notice(
                    f"No card for ticket {ticket} in Slack yet: try /mava follow {ticket}.",
                    "yellow",
                )
            )
        for channel, card in cards:
            replies = [m for m in self.stub.thread(channel, card["ts"]) if m["ts"] != card["ts"]]
            title = f"{self.channel_label(channel)} · the thread of ticket {ticket}"
            self.show(render_thread(card, replies, users=self.user_name, title=title))

    async def _click(self, rest: str) -> None:
        found = self._find_button(rest)
        if isinstance(found, str):
            self.show(render_notice(found, "yellow"))
            return
        chosen, remainder = found
        surface = chosen.surface
        self.show(
            render_notice(
                f"@Jane presses [ {chosen.label} ]"
                + (f" for ticket {chosen.value}" if chosen.value else "")
            )
        )
        before, mark = snapshot(self.sandbox), len(self.stub.calls())
        sender = self.stack.sender
        if surface.kind == "modal":
            response = await sender.action(
                chosen.action_id, chosen.value, view=surface.view, user_id=USER
            )
        elif surface.kind == "ephemeral":
            response = await sender.action(
                chosen.action_id,
                chosen.value,
                message={"blocks": surface.blocks, "ts": surface.ts or slack_ts()},
                is_ephemeral=True,
                message_ts=surface.ts or slack_ts(),
                channel_id=surface.channel or CHANNEL,
                user_id=USER,
            )
        else:
            current = self.stub.message(surface.channel or CHANNEL, surface.ts or "")
            response = await sender.action(
                chosen.action_id,
                chosen.value,
                message=current or {"blocks": surface.blocks, "ts": surface.ts},
                channel_id=surface.channel or CHANNEL,
                user_id=USER,
            )
        if sender.last_response_url and surface.kind == "ephemeral":
            # An answer to this click's response_url with replace_original replaces it.
            self._answers_to[sender.last_response_url.rpartition("/")[2]] = surface
        if response.status_code != 200:
            self.show(render_notice(f"The bot answered HTTP {response.status_code}.", "red"))
        if chosen.url:
            self.show(render_notice(f"Slack opens {chosen.url} in the browser."))
        settled = await self._settle(mark, expect_answer=not chosen.url)
        form = self._show_calls(settled)
        if form is not None:
            await self._drive_modal(form, remainder or None)
        self._show_diff(before)

    def _find_button(self, rest: str) -> tuple[Button, str] | str:
        """The newest button on screen whose label starts `rest` (longest label wins) and
        the text after it; a ticket id (or its tail, `…562460`) right after the label
        picks among same-labelled buttons. Else a sentence saying why nothing is pressed:
        no such label, no such button for that ticket, or a button Slack no longer shows."""
        self._refresh_messages()
        wanted = rest.strip()
        every = [b for surface in reversed(self._surfaces) for b in buttons(surface)]
        fits = [
            b
            for b in every
            if b.label
            and (
                wanted.lower() == b.label.lower()
                or wanted.lower().startswith(b.label.lower() + " ")
            )
        ]
        if not fits:
            labels = sorted({b.label for b in every if b.surface.gone is None})
            hint = ", ".join(labels) if labels else "none yet (try /mava show $T1)"
            return f"No button '{rest}' on screen. Buttons: {hint}."
        length = max(len(b.label) for b in fits)
        same = [b for b in fits if len(b.label) == length]
        label = same[0].label
        remainder = wanted[length:].strip()
        first, _, after = remainder.partition(" ")
        tail = first.lower() if is_object_id(first) else short_tail(first)
        ticket = ""
        if tail is not None:
            ticket, remainder = first, after.strip()
            for_ticket = [b for b in same if (b.value or "").lower().endswith(tail)]
        else:
            for_ticket = same
        shown = [b for b in for_ticket if b.surface.gone is None]
        if shown:
            return shown[0], remainder
        which = f"[ {label} ] button" + (f" for ticket {ticket}" if ticket else "")
        if for_ticket:
            return (
                f"That {which} is no longer on screen: {for_ticket[0].surface.gone}. "
                "Slack would not offer it, so nothing was sent."
            )
        others = list(
            dict.fromkeys(short_ref(b.value) for b in same if b.value and b.surface.gone is None)
        )
        listed = f" It is shown for {', '.join(others[:4])}" if others else ""
        if len(others) > 4:
            listed += f" and {len(others) - 4} more tickets"
        listed += "." if others else ""
        return f"There is no {which} on screen; nothing was sent.{listed}"

    # --- modals -------------------------------------------------------------------

    async def _decide(self, view: JSON, values: modal_inputs.Values) -> bool:
        """Interactive: Submit? [Y/n/e]; `e` asks for each input again (see `_edit`)."""
        assert self.ask is not None
        submit = (view.get("submit") or {}).get("text") or "Submit"
        inputs = modal_inputs.fields(view)
        empty = [f for f in inputs if not f.optional and not values.get(f.block_id)]
        if empty:  # an empty box is there to be typed into: ask for it straight away
            await self._edit(empty, values)
            self.show(render_modal(view, users=self.user_name, values=values))
        while True:
            options = "[Y/n/e=edit]" if inputs else "[Y/n]"
            answer = (await self.ask(f"{submit}? {options} ", default="y")).strip().lower()
            if answer in ("", "y", "yes"):
                return True
            if answer in ("n", "no"):
                return False
            if answer in ("e", "edit") and inputs:
                await self._edit(inputs, values)
                self.show(render_modal(view, users=self.user_name, values=values))

    async def _edit(
        self, inputs: Sequence[modal_inputs.Field], values: modal_inputs.Values
    ) -> None:
        """Ask for each input in turn: what is typed replaces its value, Enter keeps it; a
        select's prompt lists its choices, and a choice it does not have is asked again."""
        assert self.ask is not None
        for field in inputs:
            current = values.get(field.block_id)
            if current and not field.is_select:
                self.show(render_notice(f"{field.label} now: {current}"))
            while True:
                typed = await self.ask(modal_inputs.question(field, current))
                try:
                    values[field.block_id] = modal_inputs.read(field, typed, current)
                    break
                except ValueError as problem:
                    self.show(render_notice(str(problem), "yellow"))

    async def _drive_modal(self, view: JSON, text: str | None, *, email: str | None = None) -> None:
        """Fill in and submit a modal the bot opened, then show what the bot did with it.

        Scripted: submitted as filled in (with `text` in the text box when given);
        interactive: the user confirms or edits first. Inline errors and follow-up
        modals (a reply's confirmation) go round again."""
        values = modal_inputs.prefilled(view)
        if text is not None and BLOCK_TEXT in values:
            values[BLOCK_TEXT] = text
        if email is not None and BLOCK_EMAIL in values:
            values[BLOCK_EMAIL] = email
            self.show(render_modal(view, users=self.user_name, values=values, heading="Filled in"))
        for _ in range(MAX_MODAL_ROUNDS):
            submit = (view.get("submit") or {}).get("text") or "Submit"
            if self.ask is not None:
                if not await self._decide(view, values):
                    self.show(render_notice("Closed the modal; nothing was sent."))
                    self._retire(Surface("modal", [], view=view), "that modal was closed")
                    return
            else:
                self.show(render_notice(f"(script) @Jane presses [ {submit} ]"))
            mark = len(self.stub.calls())
            response = await self.stack.sender.submit_view(
                str(view.get("callback_id") or ""), values, view=view, user_id=USER
            )
            ack: JSON = {}
            if response.content.strip():
                with contextlib.suppress(ValueError):
                    parsed = response.json()
                    ack = parsed if isinstance(parsed, dict) else {}
            if response.status_code != 200:
                self.show(render_notice(f"The bot answered HTTP {response.status_code}.", "red"))
                return
            action = ack.get("response_action")
            if action == "errors":
                errors = {str(k): str(v) for k, v in (ack.get("errors") or {}).items()}
                self.show(
                    render_modal(
                        view, users=self.user_name, values=values, errors=errors, heading="Modal"
                    )
                )
                await self._settle(mark, expect_answer=False)
                if self.ask is None:
                    return
                continue
            next_view: JSON | None = None
            if action in ("update", "push") and isinstance(ack.get("view"), dict):
                # Slack swaps the modal's content in place: same view id.
                next_view = {**ack["view"], "id": view.get("id"), "hash": view.get("hash")}
                self.show(render_modal(next_view, users=self.user_name, heading="Modal updated"))
                self._remember(Surface("modal", _blocks(next_view), view=next_view))
            elif action == "clear" or not action:
                self.show(render_notice("The modal closes."))
                self._retire(Surface("modal", [], view=view), "that modal was closed")
            follow_up = next_view is not None and isinstance(next_view.get("submit"), dict)
            settled = await self._settle(mark, expect_answer=not follow_up and bool(next_view))
            form = self._show_calls(settled)
            if form is not None:
                view, values = form, modal_inputs.prefilled(form)
            elif follow_up and next_view is not None:
                view, values = next_view, modal_inputs.prefilled(next_view)
            else:
                return
        self.show(render_notice("Gave up on this modal after several rounds.", "yellow"))

    # --- waiting and showing ---------------------------------------------------------

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
                self.show(render_notice("(no answer from the bot after 10 s)", "yellow"))
                break
        return self.stub.calls()[mark:]

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
