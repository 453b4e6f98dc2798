"""The `/mava` help catalogue: each subcommand's syntax, summary and example, used by
`/mava help` and by the usage hints the grammar answers with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from mava_bridge.services.tickets import LIST_LIMIT
from mava_bridge.slack.command.model import Usage

_ID = "6650a1b2c3d4e5f678901234"  # a ticket id for the examples


@dataclass(frozen=True)
class UsageEntry:
    name: str
    args: str  # what follows `/mava NAME` in its syntax
    summary: str
    example_args: str = ""

    @property
    def syntax(self) -> str:
        return f"/mava {self.name} {self.args}".rstrip()

    @property
    def example(self) -> str:
        return f"/mava {self.name} {self.example_args}".rstrip()

    def line(self) -> str:
        return f"`{self.syntax}` - {self.summary} Example: `{self.example}`"


# One paragraph per entry: NAME, two spaces and its ARGS (going on over indented lines),
# the summary, and the example's arguments after "e.g.".
_CATALOGUE = f"""
show  TICKET
Show a ticket with its last messages and buttons.
e.g. {_ID}

tickets  [open|pending|waiting|resolved ...] [unassigned|mine]
    [discord|telegram|telegram-group|email|web ...] [high]
List tickets, newest first: the count and the first {LIST_LIMIT} (open ones unless you name
statuses; the words go in any order).
e.g. unassigned discord high

reply  TICKET [TEXT]
Send TEXT to the customer; without TEXT an editor opens.
e.g. {_ID} Thanks, we are looking into it!

note  TICKET [TEXT]
Add a private note only agents see; without TEXT an editor opens.
e.g. {_ID} Customer is on the Gold plan.

status  TICKET open|pending|waiting|resolved
Change a ticket's status.
e.g. {_ID} pending

resolve  TICKET
Resolve a ticket (`close` works too).
e.g. {_ID}

reopen  TICKET
Set a ticket back to Open.
e.g. {_ID}

priority  TICKET low|medium|high
Set the priority (1, 2, 3 work too).
e.g. {_ID} high

category  TICKET NAME
Set the category by its name.
e.g. {_ID} Billing

categories
List Mava's categories.

assign  TICKET @user|me|none
Assign a ticket to someone, to you, or to nobody.
e.g. {_ID} me

identify  EMAIL label=value ...
Store attributes on a customer (quote values with spaces).
e.g. jane@example.com plan="Gold plus" company=Acme

subscribe digest  [daily HH:MM|weekdays HH:MM|cron "m h dom mon dow"] [all|unassigned]
    [high|medium] [ORIGIN ...] [category NAME]
Post a digest in this channel (weekdays at 09:00, unassigned tickets, unless you say
otherwise).
e.g. daily 08:30 discord

subscribe alerts  [high|medium] [unassigned] [ORIGIN ...] [category NAME]
Alert this channel about new tickets (High priority unless you say otherwise).
e.g. unassigned email

subscribe reminders  after 30m [high|medium] [unassigned] [ORIGIN ...] [category NAME]
Post a ticket here when its customer has waited longer than that for an agent's answer: once
per wait, again if they write after an agent answered.
e.g. after 2h high unassigned

subscribe breaches  [high|medium] [unassigned] [ORIGIN ...] [category NAME]
Post a ticket here once when 80% of an SLA target is used (its assignee gets a DM) and once
when the target is missed (`/mava sla` sets the targets).
e.g. high

sla
Show the response-time targets (SLA) and business hours.

sla set  high|medium|low|all first-response DUR [next-reply DUR] [resolution DUR]
Set a priority's targets (DUR: 15m, 2h, 1d; a target left out: none). A ticket without a
priority counts as medium.
e.g. high first-response 15m next-reply 1h resolution 1d

sla hours  always|DAYS HH:MM-HH:MM [Area/City]
When SLA clocks run (they also stop while a ticket is Pending or Waiting).
e.g. mon-fri 09:00-18:00 Europe/Berlin

subscribe ratings  [1 2 3 4 5 ...]
Post each ticket newly rated with one of these values (1 and 2 unless you say otherwise),
with the customer's last message, once.
e.g. 1 2 3

subscribe report  weekly|daily [HH:MM]
Post the support report with its chart here every week (the last 7 days, Mondays) or every
day (the last day), at 09:00 unless you say otherwise.
e.g. weekly 08:30

subscriptions
List this channel's digests, alerts, reminders, breaches, ratings and reports.

unsubscribe  ID
Stop a digest, alerts, reminders, breaches, ratings or a report (ids come from `/mava
subscriptions`).
e.g. 3

digest
Post this channel's digest now.

report  [7d|30d]
Post the support report of the last 7 (or 30) days in this channel: created, resolved,
backlog, response and resolution times, CSAT, by origin and agent, and a chart.
e.g. 30d

follow  TICKET
Post the ticket here and keep its thread in sync with Mava: customer messages, agent
replies, notes, status and owner changes. Messages typed in the thread become private notes
(never sent to the customer). Slash commands can't run in threads: there, use the card's
Reply button or the Reply to customer shortcut.
e.g. {_ID}

unfollow  TICKET
Stop following a ticket in this channel (its thread stops updating).
e.g. {_ID}

thread-notes  on|off
Whether messages in this channel's followed threads become private notes (on unless turned
off).
e.g. off

create  [EMAIL] [TEXT]
Create a Mava ticket for the customer EMAIL: a window opens with TEXT as their first
message, a priority and a category; the new ticket is followed here. On a message, the
Create Mava ticket shortcut does the same.
e.g. ann@example.com My invoice is wrong

notify  off|on
Whether you get a DM when a ticket is assigned to you (in Slack or in Mava; assigning it to
yourself sends none). On unless you turn it off.
e.g. off

help
Show this help.
"""


def _entry(paragraph: str) -> UsageEntry:
    head, *lines = paragraph.splitlines()
    name, _, args = head.partition("  ")
    while lines and lines[0].startswith("    "):
        args += " " + lines.pop(0).strip()
    example = lines.pop().removeprefix("e.g. ") if lines[-1].startswith("e.g. ") else ""
    return UsageEntry(name, args, " ".join(lines), example)


HELP_ENTRIES = tuple(_entry(paragraph) for paragraph in _CATALOGUE.strip().split("\n\n"))

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
