"""The `/mava` help catalogue: each subcommand's syntax, summary and example, used by
`/mava help` and by the usage hints the grammar answers with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from mava_bridge.services.tickets import LIST_LIMIT
from mava_bridge.slack.command.model import Usage

_EXAMPLE_ID = "6650a1b2c3d4e5f678901234"


@dataclass(frozen=True)
class UsageEntry:
    name: str
    syntax: str
    summary: str
    example: str

    def line(self) -> str:
        return f"`{self.syntax}` - {self.summary} Example: `{self.example}`"


HELP_ENTRIES: tuple[UsageEntry, ...] = (
    UsageEntry(
        "show",
        "/mava show TICKET",
        "Show a ticket with its last messages and buttons.",
        f"/mava show {_EXAMPLE_ID}",
    ),
    UsageEntry(
        "tickets",
        "/mava tickets [open|pending|waiting|resolved ...] [unassigned|mine] "
        "[discord|telegram|telegram-group|email|web ...] [high]",
        f"List tickets, newest first: the count and the first {LIST_LIMIT} (open ones unless "
        "you name statuses; the words go in any order).",
        "/mava tickets unassigned discord high",
    ),
    UsageEntry(
        "reply",
        "/mava reply TICKET [TEXT]",
        "Send TEXT to the customer; without TEXT an editor opens.",
        f"/mava reply {_EXAMPLE_ID} Thanks, we are looking into it!",
    ),
    UsageEntry(
        "note",
        "/mava note TICKET [TEXT]",
        "Add a private note only agents see; without TEXT an editor opens.",
        f"/mava note {_EXAMPLE_ID} Customer is on the Gold plan.",
    ),
    UsageEntry(
        "status",
        "/mava status TICKET open|pending|waiting|resolved",
        "Change a ticket's status.",
        f"/mava status {_EXAMPLE_ID} pending",
    ),
    UsageEntry(
        "resolve",
        "/mava resolve TICKET",
        "Resolve a ticket (`close` works too).",
        f"/mava resolve {_EXAMPLE_ID}",
    ),
    UsageEntry(
        "reopen",
        "/mava reopen TICKET",
        "Set a ticket back to Open.",
        f"/mava reopen {_EXAMPLE_ID}",
    ),
    UsageEntry(
        "priority",
        "/mava priority TICKET low|medium|high",
        "Set the priority (1, 2, 3 work too).",
        f"/mava priority {_EXAMPLE_ID} high",
    ),
    UsageEntry(
        "category",
        "/mava category TICKET NAME",
        "Set the category by its name.",
        f"/mava category {_EXAMPLE_ID} Billing",
    ),
    UsageEntry(
        "categories",
        "/mava categories",
        "List Mava's categories.",
        "/mava categories",
    ),
    UsageEntry(
        "assign",
        "/mava assign TICKET @user|me|none",
        "Assign a ticket to someone, to you, or to nobody.",
        f"/mava assign {_EXAMPLE_ID} me",
    ),
    UsageEntry(
        "identify",
        "/mava identify EMAIL label=value ...",
        "Store attributes on a customer (quote values with spaces).",
        '/mava identify jane@example.com plan="Gold plus" company=Acme',
    ),
    UsageEntry(
        "subscribe digest",
        '/mava subscribe digest [daily HH:MM|weekdays HH:MM|cron "m h dom mon dow"] '
        "[all|unassigned] [high|medium] [ORIGIN ...] [category NAME]",
        "Post a digest in this channel (weekdays at 09:00, unassigned tickets, "
        "unless you say otherwise).",
        "/mava subscribe digest daily 08:30 discord",
    ),
    UsageEntry(
        "subscribe alerts",
        "/mava subscribe alerts [high|medium] [unassigned] [ORIGIN ...] [category NAME]",
        "Alert this channel about new tickets (High priority unless you say otherwise).",
        "/mava subscribe alerts unassigned email",
    ),
    UsageEntry(
        "subscribe reminders",
        "/mava subscribe reminders after 30m [high|medium] [unassigned] [ORIGIN ...] "
        "[category NAME]",
        "Post a ticket here when its customer has waited longer than that for an agent's "
        "answer: once per wait, again if they write after an agent answered.",
        "/mava subscribe reminders after 2h high unassigned",
    ),
    UsageEntry(
        "subscribe breaches",
        "/mava subscribe breaches [high|medium] [unassigned] [ORIGIN ...] [category NAME]",
        "Post a ticket here once when 80% of an SLA target is used (its assignee gets a DM) "
        "and once when the target is missed (`/mava sla` sets the targets).",
        "/mava subscribe breaches high",
    ),
    UsageEntry(
        "sla",
        "/mava sla",
        "Show the response-time targets (SLA) and business hours.",
        "/mava sla",
    ),
    UsageEntry(
        "sla set",
        "/mava sla set high|medium|low|all first-response DUR [next-reply DUR] [resolution DUR]",
        "Set a priority's targets (DUR: 15m, 2h, 1d; a target left out: none). A ticket "
        "without a priority counts as medium.",
        "/mava sla set high first-response 15m next-reply 1h resolution 1d",
    ),
    UsageEntry(
        "sla hours",
        "/mava sla hours always|DAYS HH:MM-HH:MM [Area/City]",
        "When SLA clocks run (they also stop while a ticket is Pending or Waiting).",
        "/mava sla hours mon-fri 09:00-18:00 Europe/Berlin",
    ),
    UsageEntry(
        "subscribe ratings",
        "/mava subscribe ratings [1 2 3 4 5 ...]",
        "Post each ticket newly rated with one of these values (1 and 2 unless you say "
        "otherwise), with the customer's last message, once.",
        "/mava subscribe ratings 1 2 3",
    ),
    UsageEntry(
        "subscribe report",
        "/mava subscribe report weekly|daily [HH:MM]",
        "Post the support report with its chart here every week (the last 7 days, Mondays) "
        "or every day (the last day), at 09:00 unless you say otherwise.",
        "/mava subscribe report weekly 08:30",
    ),
    UsageEntry(
        "subscriptions",
        "/mava subscriptions",
        "List this channel's digests, alerts, reminders, breaches, ratings and reports.",
        "/mava subscriptions",
    ),
    UsageEntry(
        "unsubscribe",
        "/mava unsubscribe ID",
        "Stop a digest, alerts, reminders, breaches, ratings or a report (ids come from "
        "`/mava subscriptions`).",
        "/mava unsubscribe 3",
    ),
    UsageEntry(
        "digest",
        "/mava digest",
        "Post this channel's digest now.",
        "/mava digest",
    ),
    UsageEntry(
        "report",
        "/mava report [7d|30d]",
        "Post the support report of the last 7 (or 30) days in this channel: created, "
        "resolved, backlog, response and resolution times, CSAT, by origin and agent, "
        "and a chart.",
        "/mava report 30d",
    ),
    UsageEntry(
        "follow",
        "/mava follow TICKET",
        "Post the ticket here and keep its thread in sync with Mava: customer messages, "
        "agent replies, notes, status and owner changes. Messages typed in the thread become "
        "private notes (never sent to the customer). Slash commands can't run in threads: "
        "there, use the card's Reply button or the Reply to customer shortcut.",
        f"/mava follow {_EXAMPLE_ID}",
    ),
    UsageEntry(
        "unfollow",
        "/mava unfollow TICKET",
        "Stop following a ticket in this channel (its thread stops updating).",
        f"/mava unfollow {_EXAMPLE_ID}",
    ),
    UsageEntry(
        "thread-notes",
        "/mava thread-notes on|off",
        "Whether messages in this channel's followed threads become private notes (on "
        "unless turned off).",
        "/mava thread-notes off",
    ),
    UsageEntry(
        "create",
        "/mava create [EMAIL] [TEXT]",
        "Create a Mava ticket for the customer EMAIL: a window opens with TEXT as their "
        "first message, a priority and a category; the new ticket is followed here. On a "
        "message, the Create Mava ticket shortcut does the same.",
        "/mava create ann@example.com My invoice is wrong",
    ),
    UsageEntry(
        "notify",
        "/mava notify off|on",
        "Whether you get a DM when a ticket is assigned to you (in Slack or in Mava; "
        "assigning it to yourself sends none). On unless you turn it off.",
        "/mava notify off",
    ),
    UsageEntry(
        "help",
        "/mava help",
        "Show this help.",
        "/mava help",
    ),
)

_ENTRIES = {entry.name: entry for entry in HELP_ENTRIES}
USAGE: dict[str, str] = {entry.name: entry.line() for entry in HELP_ENTRIES}
# The first words `/mava` knows, in help order; `close` is `resolve` by another name.
SUBCOMMANDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        word
        for entry in HELP_ENTRIES
        for word in (("resolve", "close") if entry.name == "resolve" else entry.name.split()[:1])
    )
)


class Unparsed(Exception):
    """Raised while parsing text that cannot be understood; `parse` answers its usage."""

    def __init__(self, usage: Usage) -> None:
        super().__init__(usage.message)
        self.usage = usage


def refuse(name: str, problem: str) -> NoReturn:
    """Stop parsing with a usage hint for `name`: the problem, its syntax and an example."""
    entry = _ENTRIES[name]
    raise Unparsed(Usage(name, f"{problem}\nUsage: `{entry.syntax}`\nExample: `{entry.example}`"))
