"""The `/mava` grammar: slash command text in, a typed command (or a usage hint) out.

`parse` never raises: whatever a user types becomes either a command dataclass or a
`Usage` that says what was wrong, how the subcommand is written and an example.
Text arguments (reply/note text, category names, attribute values) come out as plain
text: Slack's escaping (`&amp;`, `<@U1|bob>`, `<mailto:...>`) is undone once here, so
listeners must not undo it again.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.schedule import DEFAULT_DIGEST_SCHEDULE, Schedule
from mava_bridge.domain.ticket_refs import InvalidTicketRef, parse_ticket_ref
from mava_bridge.domain.tickets import Origin, Priority, Status
from mava_bridge.domain.wording import shown as _shown
from mava_bridge.slack.text import slack_to_plain, unescape

# --- Commands --------------------------------------------------------------------


@dataclass(frozen=True)
class Help:
    """`/mava` or `/mava help`."""


@dataclass(frozen=True)
class Reply:
    """Send `text` to the customer; `text` None means "open the compose modal"."""

    ticket: str
    text: str | None


@dataclass(frozen=True)
class Note:
    """Add a private note; `text` None means "open the compose modal"."""

    ticket: str
    text: str | None


@dataclass(frozen=True)
class SetStatus:
    ticket: str
    status: Status


@dataclass(frozen=True)
class SetPriority:
    ticket: str
    priority: Priority


@dataclass(frozen=True)
class SetCategory:
    """`name` as typed; the service matches it against Mava's categories."""

    ticket: str
    name: str


@dataclass(frozen=True)
class ListCategories:
    pass


@dataclass(frozen=True)
class AssignMe:
    """Assign to the Mava agent linked to the Slack user who ran the command."""


@dataclass(frozen=True)
class Unassign:
    pass


@dataclass(frozen=True)
class AssignUser:
    user_id: str  # a Slack user id (U.../W...)


AssignTarget = AssignMe | Unassign | AssignUser


@dataclass(frozen=True)
class Assign:
    ticket: str
    target: AssignTarget


@dataclass(frozen=True)
class Show:
    ticket: str


Assignee = Literal["any", "unassigned", "mine"]


@dataclass(frozen=True)
class ListTickets:
    """Empty `statuses` means "the default set", which the service decides."""

    statuses: tuple[Status, ...] = ()
    assignee: Assignee = "any"
    origins: tuple[Origin, ...] = ()
    high_only: bool = False


@dataclass(frozen=True)
class Identify:
    email: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SubscribeDigest:
    schedule: Schedule
    filters: Filters


@dataclass(frozen=True)
class SubscribeAlerts:
    filters: Filters


@dataclass(frozen=True)
class ListSubscriptions:
    pass


@dataclass(frozen=True)
class Unsubscribe:
    id: int


@dataclass(frozen=True)
class DigestNow:
    pass


@dataclass(frozen=True)
class Usage:
    """The text could not be understood; `message` says why, how, and an example."""

    subcommand: str | None
    message: str


Command = (
    Help
    | Reply
    | Note
    | SetStatus
    | SetPriority
    | SetCategory
    | ListCategories
    | Assign
    | Show
    | ListTickets
    | Identify
    | SubscribeDigest
    | SubscribeAlerts
    | ListSubscriptions
    | Unsubscribe
    | DigestNow
)

# --- Usage lines -------------------------------------------------------------------

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
        "List tickets (open ones unless you name statuses), in any order.",
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
        "subscriptions",
        "/mava subscriptions",
        "List this channel's digests and alerts.",
        "/mava subscriptions",
    ),
    UsageEntry(
        "unsubscribe",
        "/mava unsubscribe ID",
        "Stop a digest or alert (ids come from `/mava subscriptions`).",
        "/mava unsubscribe 3",
    ),
    UsageEntry(
        "digest",
        "/mava digest",
        "Post this channel's digest now.",
        "/mava digest",
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
SUBCOMMANDS: tuple[str, ...] = (
    "show",
    "tickets",
    "reply",
    "note",
    "status",
    "resolve",
    "close",
    "reopen",
    "priority",
    "category",
    "categories",
    "assign",
    "identify",
    "subscribe",
    "subscriptions",
    "unsubscribe",
    "digest",
    "help",
)


def _usage(name: str, problem: str) -> Usage:
    entry = _ENTRIES[name]
    return Usage(name, f"{problem}\nUsage: `{entry.syntax}`\nExample: `{entry.example}`")


# --- Tokens ------------------------------------------------------------------------

# A Slack-wrapped token (`<https://x|label with spaces>`, `<@U1|ann>`) or a word.
# A `<` typed by a user arrives as `&lt;`, so a raw `<` always starts a wrapper.
_TOKEN = re.compile(r"<[^<>]*>\S*|\S+")
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})


def _next_token(text: str) -> tuple[str, str] | None:
    """The first token of `text` and everything after it (spacing kept)."""
    match = _TOKEN.search(text)
    if match is None:
        return None
    return match.group(0), text[match.end() :]


def _split_quoted(text: str) -> list[str] | str:
    """Words with shell-like quoting; an error sentence (a str) for unbalanced quotes."""
    try:
        return shlex.split(text.translate(_SMART_QUOTES), posix=True)
    except ValueError:
        return (
            "A quote is not closed. Put values with spaces in matching quotes, "
            'e.g. plan="Gold plus", or leave out a stray \' or ".'
        )


def _ticket(name: str, text: str) -> tuple[str, str] | Usage:
    """Read TICKET (an id or a dashboard link) from the front of `text`."""
    token = _next_token(text)
    if token is None:
        return _usage(name, "Which ticket? Give its id or paste its Mava dashboard link.")
    word, rest = token
    try:
        # Slack escapes `&` inside links (`?a=1&amp;id=...`); undo it first.
        return parse_ticket_ref(unescape(word)), rest
    except InvalidTicketRef as error:
        return _usage(name, str(error))
    except ValueError:  # urlsplit rejects some malformed links with a bare ValueError
        return _usage(name, str(InvalidTicketRef(word)))


def _no_more(name: str, rest: str) -> Usage | None:
    extra = rest.strip()
    if extra:
        return _usage(name, f"I did not expect '{_shown(extra)}' here.")
    return None


# --- Subcommands ---------------------------------------------------------------------


def _parse_compose(name: str, rest: str) -> Command | Usage:
    found = _ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, body = found
    text = slack_to_plain(body.strip()) or None
    return Reply(ticket, text) if name == "reply" else Note(ticket, text)


_STATUSES = {status.value.lower(): status for status in Status}


def _parse_status(name: str, rest: str) -> Command | Usage:
    found = _ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    words = rest.split()
    if not words:
        return _usage(name, "Which status? Pick open, pending, waiting or resolved.")
    status = _STATUSES.get(words[0].lower())
    if status is None:
        return _usage(name, f"'{_shown(words[0])}' is not a status.")
    return _no_more(name, " ".join(words[1:])) or SetStatus(ticket, status)


def _parse_fixed_status(name: str, rest: str) -> Command | Usage:
    entry = "resolve" if name == "close" else name
    found = _ticket(entry, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    status = Status.OPEN if name == "reopen" else Status.RESOLVED
    return _no_more(entry, rest) or SetStatus(ticket, status)


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
    found = _ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    words = rest.split()
    if not words:
        return _usage(name, "Which priority? Pick low, medium or high.")
    priority = _PRIORITIES.get(words[0].lower())
    if priority is None:
        return _usage(name, f"'{_shown(words[0])}' is not a priority.")
    return _no_more(name, " ".join(words[1:])) or SetPriority(ticket, priority)


def _unquote(text: str) -> str:
    text = text.translate(_SMART_QUOTES).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def _parse_category(name: str, rest: str) -> Command | Usage:
    found = _ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    category = _unquote(slack_to_plain(rest.strip()))
    if not category:
        return _usage(name, "Which category? Give its name (`/mava categories` lists them).")
    return SetCategory(ticket, category)


def _parse_bare(name: str, rest: str) -> Command | Usage:
    """Subcommands that take no arguments."""
    commands: dict[str, Command] = {
        "categories": ListCategories(),
        "subscriptions": ListSubscriptions(),
        "digest": DigestNow(),
    }
    command = commands[name]
    return _no_more(name, rest) or command


# Slack sends a picked user as <@U123> or <@U123|name> (with escaping enabled).
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$")
_UNASSIGN_WORDS = {"none", "nobody", "unassign", "unassigned", "no-one", "noone"}


def _parse_assign(name: str, rest: str) -> Command | Usage:
    found = _ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    token = _next_token(rest)
    if token is None:
        return _usage(name, "Assign to whom? Mention a user, or say me or none.")
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
        return _usage(
            name,
            f"I can't tell who '{_shown(word)}' is. Pick the person from Slack's "
            "autocomplete as you type @ (if that still fails, the /mava command needs "
            '"Escape channels, users, and links" turned on in the app settings).',
        )
    else:
        return _usage(name, f"'{_shown(word)}' is not a user. Mention them with @, or say me.")
    return _no_more(name, rest) or Assign(ticket, target)


def _parse_show(name: str, rest: str) -> Command | Usage:
    found = _ticket(name, rest)
    if isinstance(found, Usage):
        return found
    ticket, rest = found
    return _no_more(name, rest) or Show(ticket)


_ORIGINS: dict[str, Origin] = {origin.value: origin for origin in Origin}
_ORIGINS.update({"telegram_group": Origin.TELEGRAM_GROUP, "webchat": Origin.WEB})


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
        elif lowered in _ORIGINS:
            if _ORIGINS[lowered] not in origins:
                origins.append(_ORIGINS[lowered])
        elif lowered in ("unassigned", "mine"):
            if assignee not in ("any", lowered):
                return _usage(name, "Pick either unassigned or mine, not both.")
            assignee = "unassigned" if lowered == "unassigned" else "mine"
        elif lowered == "high":
            high_only = True
        else:
            return _usage(name, f"I don't know the filter '{_shown(word)}'.")
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
    token = _next_token(rest)
    if token is None:
        return _usage(name, "Whose attributes? Start with the customer's email.")
    word, rest = token
    email = _unwrap_email(word)
    if not _EMAIL.match(email):
        return _usage(name, f"'{_shown(email)}' does not look like an email address.")
    words = _split_quoted(slack_to_plain(rest))
    if isinstance(words, str):
        return _usage(name, words)
    if not words:
        return _usage(name, "Give at least one attribute as label=value.")
    attributes: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in words:
        label, equals, value = item.partition("=")
        label = label.strip()
        if not equals or not label:
            return _usage(name, f"'{_shown(item)}' is not label=value.")
        if label.casefold() in seen:
            return _usage(name, f"The label '{_shown(label)}' is given twice.")
        seen.add(label.casefold())
        attributes.append((label, value.strip()))
    return Identify(email, tuple(attributes))


# --- Schedules and filters --------------------------------------------------------

_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")


def _parse_time(word: str) -> tuple[int, int] | None:
    match = _TIME.match(word)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return hour, minute


@dataclass
class _FilterWords:
    """What the words of `subscribe digest|alerts` said, before defaults apply."""

    priority: Priority | None = None
    unassigned: bool | None = None
    origins: tuple[Origin, ...] = ()
    categories: tuple[str, ...] = ()
    schedule: Schedule | None = None


def _read_filters(name: str, words: list[str], *, digest: bool) -> _FilterWords | Usage:
    found = _FilterWords()
    origins: list[Origin] = []
    categories: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        lowered = word.lower()
        i += 1
        if lowered in ("high", "medium"):
            level = Priority.HIGH if lowered == "high" else Priority.MEDIUM
            if found.priority not in (None, level):
                return _usage(name, "Pick one priority: high or medium.")
            found.priority = level
        elif lowered == "unassigned" or (digest and lowered in ("all", "any")):
            value = lowered == "unassigned"
            if found.unassigned not in (None, value):
                return _usage(name, "Pick either all or unassigned, not both.")
            found.unassigned = value
        elif lowered in ("origin", "origins", "from"):
            start = i
            while i < len(words) and words[i].lower() in _ORIGINS:
                origins.append(_ORIGINS[words[i].lower()])
                i += 1
            if i == start:
                return _usage(name, "Name an origin after 'origin': discord, telegram, email...")
        elif lowered in _ORIGINS:
            origins.append(_ORIGINS[lowered])
        elif lowered == "category":
            if i >= len(words) or not words[i].strip():
                return _usage(
                    name, "Name the category after 'category' (quote it if it has spaces)."
                )
            categories.append(words[i].strip())
            i += 1
        elif digest and lowered in ("daily", "weekdays", "weekday", "cron"):
            if found.schedule is not None:
                return _usage(name, "Give one schedule: daily, weekdays or cron.")
            if lowered == "cron":
                if i < len(words) and len(words[i].split()) > 1:
                    expr, i = words[i], i + 1  # quoted: cron "30 9 * * 1-5"
                else:
                    expr, i = " ".join(words[i : i + 5]), i + 5
                try:
                    found.schedule = Schedule.from_cron(expr)
                except ValueError as error:
                    return _usage(name, str(error))
                continue
            if i < len(words) and words[i].lower() == "at":
                i += 1
            hour, minute = 9, 0
            if i < len(words) and words[i][:1].isdigit():
                time = _parse_time(words[i])
                if time is None:
                    return _usage(name, f"'{_shown(words[i])}' is not a time; use HH:MM.")
                hour, minute = time
                i += 1
            make = Schedule.daily if lowered == "daily" else Schedule.weekdays
            found.schedule = make(hour, minute)
        else:
            hint = " Quote category names with spaces." if categories else ""
            return _usage(name, f"I don't know the word '{_shown(word)}'.{hint}")
    found.origins = tuple(dict.fromkeys(origins))
    found.categories = tuple(dict.fromkeys(categories))
    return found


def _parse_subscribe(name: str, rest: str) -> Command | Usage:
    words = _split_quoted(slack_to_plain(rest))
    if isinstance(words, str):
        return Usage(name, words + "\n" + USAGE["subscribe digest"])
    kind = words[0].lower() if words else ""
    if kind in ("digest", "digests"):
        found = _read_filters("subscribe digest", words[1:], digest=True)
        if isinstance(found, Usage):
            return found
        filters = Filters(
            min_priority=found.priority,
            unassigned_only=found.unassigned is not False,
            origins=found.origins,
            categories=found.categories,
        )
        return SubscribeDigest(found.schedule or DEFAULT_DIGEST_SCHEDULE, filters)
    if kind in ("alerts", "alert"):
        found = _read_filters("subscribe alerts", words[1:], digest=False)
        if isinstance(found, Usage):
            return found
        unassigned = bool(found.unassigned)
        priority = found.priority
        if priority is None and not unassigned:
            priority = Priority.HIGH
        return SubscribeAlerts(Filters(priority, unassigned, found.origins, found.categories))
    if kind:
        problem = f"I can subscribe to digest or alerts, not '{_shown(words[0])}'."
    else:
        problem = "Subscribe to what? Say digest or alerts."
    return Usage(name, f"{problem}\n{USAGE['subscribe digest']}\n{USAGE['subscribe alerts']}")


_SUBSCRIPTION_ID = re.compile(r"^#?([0-9]{1,9})$")


def _parse_unsubscribe(name: str, rest: str) -> Command | Usage:
    words = rest.split()
    if not words:
        return _usage(name, "Which subscription? `/mava subscriptions` shows their ids.")
    match = _SUBSCRIPTION_ID.match(words[0])
    if match is None or int(match.group(1)) < 1:
        return _usage(name, f"'{_shown(words[0])}' is not a subscription id (a number).")
    return _no_more(name, " ".join(words[1:])) or Unsubscribe(int(match.group(1)))


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
    "assign": _parse_assign,
    "show": _parse_show,
    "tickets": _parse_tickets,
    "identify": _parse_identify,
    "subscribe": _parse_subscribe,
    "unsubscribe": _parse_unsubscribe,
    "help": _parse_help,
}


def parse(text: str) -> Command | Usage:
    """Parse the text after `/mava`. Never raises."""
    token = _next_token(text)
    if token is None:
        return Help()
    word, rest = token
    handler = _HANDLERS.get(word.lower())
    if handler is None:
        return Usage(
            None,
            f"I don't know `/mava {_shown(word)}`. Subcommands: "
            + ", ".join(SUBCOMMANDS)
            + ".\nTry `/mava help` for how to use each.",
        )
    return handler(word.lower(), rest)
