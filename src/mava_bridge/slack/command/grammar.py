"""The `/mava` grammar: slash command text in, a typed command (or a usage hint) out.

`parse` never raises: whatever a user types becomes either a command dataclass or a
`Usage` that says what was wrong, how the subcommand is written and an example.
Text arguments (reply/note text, category names, attribute values) come out as plain
text: Slack's escaping (`&amp;`, `<@U1|bob>`, `<mailto:...>`) is undone once here, so
listeners must not undo it again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from mava_bridge.domain.tickets import Origin, Priority, Status
from mava_bridge.domain.wording import shown
from mava_bridge.slack.command.help import SUBCOMMANDS, usage_for
from mava_bridge.slack.command.model import (
    Assign,
    Assignee,
    AssignMe,
    AssignTarget,
    AssignUser,
    Command,
    Create,
    DigestNow,
    Follow,
    Help,
    Identify,
    ListCategories,
    ListSubscriptions,
    ListTickets,
    Note,
    Notify,
    Reply,
    ReportNow,
    SetCategory,
    SetPriority,
    SetStatus,
    Show,
    ThreadNotes,
    Unassign,
    Unfollow,
    Unsubscribe,
    Usage,
)
from mava_bridge.slack.command.sla import parse_sla
from mava_bridge.slack.command.subscribe import parse_subscribe
from mava_bridge.slack.command.tokens import (
    ORIGIN_WORDS,
    next_token,
    no_more,
    read_ticket,
    split_quoted,
    unquote,
)
from mava_bridge.slack.text import slack_to_plain, unescape


def _parse_compose(name: str, rest: str) -> Command | Usage:
    found = read_ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, body = found
    text = slack_to_plain(body.strip()) or None
    return Reply(ticket, text) if name == "reply" else Note(ticket, text)


_STATUSES = {status.value.lower(): status for status in Status}

T = TypeVar("T")


def _ticket_and_choice(
    name: str, rest: str, choices: dict[str, T], *, ask: str, what: str
) -> tuple[str, T] | Usage:
    """`TICKET WORD` where WORD is one of `choices` (any case), and nothing after it."""
    found = read_ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    words = rest.split()
    if not words:
        return usage_for(name, ask)
    choice = choices.get(words[0].lower())
    if choice is None:
        return usage_for(name, f"'{shown(words[0])}' is not a {what}.")
    return no_more(name, " ".join(words[1:])) or (ticket, choice)


def _parse_status(name: str, rest: str) -> Command | Usage:
    found = _ticket_and_choice(
        name,
        rest,
        _STATUSES,
        ask="Which status? Pick open, pending, waiting or resolved.",
        what="status",
    )
    return found if isinstance(found, Usage) else SetStatus(*found)


def _parse_fixed_status(name: str, rest: str) -> Command | Usage:
    entry = "resolve" if name == "close" else name
    found = read_ticket(entry, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    status = Status.OPEN if name == "reopen" else Status.RESOLVED
    return no_more(entry, rest) or SetStatus(ticket, status)


_PRIORITIES = {
    "low": Priority.LOW,
    "1": Priority.LOW,
    "medium": Priority.MEDIUM,
    "med": Priority.MEDIUM,
    "2": Priority.MEDIUM,
    "high": Priority.HIGH,
    "3": Priority.HIGH,
}


def _parse_priority(name: str, rest: str) -> Command | Usage:
    found = _ticket_and_choice(
        name, rest, _PRIORITIES, ask="Which priority? Pick low, medium or high.", what="priority"
    )
    return found if isinstance(found, Usage) else SetPriority(*found)


def _parse_category(name: str, rest: str) -> Command | Usage:
    found = read_ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    category = unquote(slack_to_plain(rest.strip()))
    if not category:
        return usage_for(name, "Which category? Give its name (`/mava categories` lists them).")
    return SetCategory(ticket, category)


def _parse_bare(name: str, rest: str) -> Command | Usage:
    """Subcommands that take no arguments."""
    commands: dict[str, Command] = {
        "categories": ListCategories(),
        "subscriptions": ListSubscriptions(),
        "digest": DigestNow(),
    }
    command = commands[name]
    return no_more(name, rest) or command


# Slack sends a picked user as <@U123> or <@U123|name> (with escaping enabled).
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$")
_UNASSIGN_WORDS = {"none", "nobody", "unassign", "unassigned", "no-one", "noone"}


def _parse_assign(name: str, rest: str) -> Command | Usage:
    found = read_ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    token = next_token(rest)
    if token is None:
        return usage_for(name, "Assign to whom? Mention a user, or say me or none.")
    word, rest = token
    target: AssignTarget
    lowered = word.lower()
    user = _USER.match(word)
    if lowered == "me":
        target = AssignMe()
    elif lowered in _UNASSIGN_WORDS:
        target = Unassign()
    elif user:
        target = AssignUser(user.group(1))
    elif word.startswith("@"):
        return usage_for(
            name,
            f"I can't tell who '{shown(word)}' is. Pick the person from Slack's "
            "autocomplete as you type @ (if that still fails, the /mava command needs "
            '"Escape channels, users, and links" turned on in the app settings).',
        )
    else:
        return usage_for(name, f"'{shown(word)}' is not a user. Mention them with @, or say me.")
    return no_more(name, rest) or Assign(ticket, target)


def _parse_show(name: str, rest: str) -> Command | Usage:
    found = read_ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    return no_more(name, rest) or Show(ticket)


def _parse_tickets(name: str, rest: str) -> Command | Usage:
    statuses: list[Status] = []
    origins: list[Origin] = []
    assignee: Assignee = "any"
    high_only = False
    for word in rest.split():
        lowered = word.lower()
        if lowered in _STATUSES:
            if _STATUSES[lowered] not in statuses:
                statuses.append(_STATUSES[lowered])
        elif lowered in ORIGIN_WORDS:
            if ORIGIN_WORDS[lowered] not in origins:
                origins.append(ORIGIN_WORDS[lowered])
        elif lowered in ("unassigned", "mine"):
            if assignee not in ("any", lowered):
                return usage_for(name, "Pick either unassigned or mine, not both.")
            assignee = "unassigned" if lowered == "unassigned" else "mine"
        elif lowered == "high":
            high_only = True
        else:
            return usage_for(name, f"I don't know the filter '{shown(word)}'.")
    return ListTickets(tuple(statuses), assignee, tuple(origins), high_only)


_EMAIL = re.compile(r"^[^\s@<>\"(),;:]+@[^\s@<>\"(),;:.]+(?:\.[^\s@<>\"(),;:.]+)+$")


def _unwrap_email(word: str) -> str:
    """`<mailto:a@b.c|a@b.c>` (how Slack sends a typed email) -> `a@b.c`."""
    if word.startswith("<") and word.endswith(">"):
        word = word[1:-1].split("|", 1)[0]
    if word.lower().startswith("mailto:"):
        word = word[len("mailto:") :]
    return unescape(word).strip()


def _parse_identify(name: str, rest: str) -> Command | Usage:
    token = next_token(rest)
    if token is None:
        return usage_for(name, "Whose attributes? Start with the customer's email.")
    word, rest = token
    email = _unwrap_email(word)
    if not _EMAIL.match(email):
        return usage_for(name, f"'{shown(email)}' does not look like an email address.")
    words = split_quoted(slack_to_plain(rest))
    if isinstance(words, str):
        return usage_for(name, words)
    if not words:
        return usage_for(name, "Give at least one attribute as label=value.")
    attributes: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in words:
        label, equals, value = item.partition("=")
        label = label.strip()
        if not equals or not label:
            return usage_for(name, f"'{shown(item)}' is not label=value.")
        if label.casefold() in seen:
            return usage_for(name, f"The label '{shown(label)}' is given twice.")
        seen.add(label.casefold())
        attributes.append((label, value.strip()))
    return Identify(email, tuple(attributes))


def _parse_create(name: str, rest: str) -> Command | Usage:
    """`/mava create [EMAIL] [TEXT]`: both optional, the modal asks for what is missing."""
    token = next_token(rest)
    if token is None:
        return Create(None, "")
    word, after = token
    email = _unwrap_email(word)
    if "@" not in email:
        return Create(None, slack_to_plain(rest).strip())
    if not _EMAIL.match(email):
        return usage_for(name, f"'{shown(email)}' does not look like an email address.")
    return Create(email, slack_to_plain(after).strip())


_SUBSCRIPTION_ID = re.compile(r"^#?([0-9]{1,9})$")


def parse_unsubscribe(name: str, rest: str) -> Command | Usage:
    words = rest.split()
    if not words:
        return usage_for(name, "Which subscription? `/mava subscriptions` shows their ids.")
    match = _SUBSCRIPTION_ID.match(words[0])
    if match is None or int(match.group(1)) < 1:
        return usage_for(name, f"'{shown(words[0])}' is not a subscription id (a number).")
    return no_more(name, " ".join(words[1:])) or Unsubscribe(int(match.group(1)))


def _parse_follow(name: str, rest: str) -> Command | Usage:
    found = read_ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    return no_more(name, rest) or (Follow(ticket) if name == "follow" else Unfollow(ticket))


_ON_OFF = {"on": True, "off": False, "yes": True, "no": False}


def _parse_thread_notes(name: str, rest: str) -> Command | Usage:
    words = rest.split()
    if not words:
        return usage_for(name, "On or off?")
    enabled = _ON_OFF.get(words[0].lower())
    if enabled is None:
        return usage_for(name, f"'{shown(words[0])}' is not on or off.")
    return no_more(name, " ".join(words[1:])) or ThreadNotes(enabled)


def _parse_notify(name: str, rest: str) -> Command | Usage:
    words = rest.split()
    enabled = _ON_OFF.get(words[0].lower()) if words else None
    if enabled is None:
        return usage_for(name, f"'{shown(words[0])}' is not on or off." if words else "On or off?")
    return no_more(name, " ".join(words[1:])) or Notify(enabled)


def _parse_report(name: str, rest: str) -> Command | Usage:
    words = rest.split()
    days = {"7d": 7, "30d": 30, "7": 7, "30": 30}.get(words[0].lower()) if words else 7
    if days is None:
        return usage_for(name, f"'{shown(words[0])}' is not a period: say 7d or 30d.")
    return no_more(name, " ".join(words[1:])) or ReportNow(days)


def _parse_help(name: str, rest: str) -> Command | Usage:
    return Help()


_HANDLERS: dict[str, Callable[[str, str], Command | Usage]] = {
    "reply": _parse_compose,
    "note": _parse_compose,
    "status": _parse_status,
    "resolve": _parse_fixed_status,
    "close": _parse_fixed_status,
    "reopen": _parse_fixed_status,
    "priority": _parse_priority,
    "category": _parse_category,
    "categories": _parse_bare,
    "subscriptions": _parse_bare,
    "digest": _parse_bare,
    "report": _parse_report,
    "assign": _parse_assign,
    "show": _parse_show,
    "tickets": _parse_tickets,
    "identify": _parse_identify,
    "subscribe": parse_subscribe,
    "unsubscribe": parse_unsubscribe,
    "follow": _parse_follow,
    "unfollow": _parse_follow,
    "thread-notes": _parse_thread_notes,
    "notify": _parse_notify,
    "create": _parse_create,
    "sla": parse_sla,
    "help": _parse_help,
}


def parse(text: str) -> Command | Usage:
    """Parse the text after `/mava`. Never raises."""
    token = next_token(text)
    if token is None:
        return Help()
    word, rest = token
    handler = _HANDLERS.get(word.lower())
    if handler is None:
        return Usage(
            None,
            f"I don't know `/mava {shown(word)}`. Subcommands: "
            + ", ".join(SUBCOMMANDS)
            + ".\nTry `/mava help` for how to use each.",
        )
    return handler(word.lower(), rest)
