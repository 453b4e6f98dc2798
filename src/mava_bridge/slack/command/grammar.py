"""The `/mava` grammar: slash command text in, a typed command (or a usage hint) out.

`parse` never raises: a parser stops at the first problem with `refuse`, and `parse`
answers that subcommand's usage. Text arguments come out as plain text: Slack's escaping
(`&amp;`, `<@U1|bob>`, `<mailto:...>`) is undone once here, so listeners must not undo it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from mava_bridge.domain.ticket_refs import (
    SHORT_ID_LENGTH,
    SHORT_MARK,
    InvalidTicketRef,
    parse_ticket_ref,
    short_tail,
)
from mava_bridge.domain.tickets import Origin, Priority, Status
from mava_bridge.domain.wording import or_list, shown
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.command.help import SUBCOMMANDS, Unparsed, refuse
from mava_bridge.slack.command.sla import parse_sla
from mava_bridge.slack.command.subscribe import (
    ORIGIN_WORDS,
    SMART_QUOTES,
    parse_subscribe,
    split_quoted,
)
from mava_bridge.slack.text import slack_to_plain, unescape

_STATUSES = {status.value.lower(): status for status in Status}
# low, medium, high, or Mava's numbers 1, 2, 3; and med.
_PRIORITIES = {p.name.lower(): p for p in Priority} | {str(int(p)): p for p in Priority}
_PRIORITIES["med"] = Priority.MEDIUM
_ON_OFF = {"on": True, "off": False, "yes": True, "no": False}
_PERIODS = {"7d": 7, "30d": 30, "7": 7, "30": 30}
# A Slack-wrapped token (`<https://x|label with spaces>`, `<@U1|ann>`) or a word.
# A `<` typed by a user arrives as `&lt;`, so a raw `<` always starts a wrapper.
_TOKEN = re.compile(r"<[^<>]*>\S*|\S+")
# Slack sends a picked user as <@U123> or <@U123|name> (with escaping enabled).
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$")
_UNASSIGN_WORDS = {"none", "nobody", "unassign", "unassigned", "no-one", "noone"}
_EMAIL = re.compile(r"^[^\s@<>\"(),;:]+@[^\s@<>\"(),;:.]+(?:\.[^\s@<>\"(),;:.]+)+$")
_SUBSCRIPTION_ID = re.compile(r"^#?([0-9]{1,9})$")
T = TypeVar("T")
Parser = Callable[[str, str], cmd.Command]


def next_token(text: str) -> tuple[str, str] | None:
    """The first token of `text` and everything after it (spacing kept)."""
    match = _TOKEN.search(text)
    if match is None:
        return None
    return match.group(0), text[match.end() :]


def read_ticket(name: str, text: str) -> tuple[str, str]:
    """TICKET (an id or a dashboard link) from the front of `text`, and the rest."""
    token = next_token(text)
    if token is None:
        refuse(name, "Which ticket? Give its id or paste its Mava dashboard link.")
    word, rest = token
    try:
        # Slack escapes `&` inside links (`?a=1&amp;id=...`); undo it first.
        return parse_ticket_ref(unescape(word)), rest
    except InvalidTicketRef as error:
        tail = short_tail(word)
        if tail is not None and len(tail) == SHORT_ID_LENGTH:
            return SHORT_MARK + tail, rest  # a short id as shown: the listener finds it
        refuse(name, str(error))
    except ValueError:  # urlsplit rejects some malformed links with a bare ValueError
        refuse(name, str(InvalidTicketRef(word)))


def no_more(name: str, rest: str) -> None:
    if rest.strip():
        refuse(name, f"I did not expect '{shown(rest.strip())}' here.")


def _unquote(text: str) -> str:
    text = text.translate(SMART_QUOTES).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def _compose(name: str, rest: str) -> cmd.Command:
    ticket, body = read_ticket(name, rest)
    text = slack_to_plain(body.strip()) or None
    return cmd.Reply(ticket, text) if name == "reply" else cmd.Note(ticket, text)


def _ticket_alone(name: str, rest: str) -> str:
    ticket, rest = read_ticket(name, rest)
    no_more(name, rest)
    return ticket


def _word(name: str, rest: str, choices: dict[str, T], *, ask: str, what: str) -> T:
    """One word of `choices` (any case), and nothing after it."""
    words = rest.split()
    if not words:
        refuse(name, ask)
    if (choice := choices.get(words[0].lower())) is None:
        refuse(name, f"'{shown(words[0])}' is not {what}.")
    no_more(name, " ".join(words[1:]))
    return choice


def _status(name: str, rest: str) -> cmd.Command:
    ticket, rest = read_ticket(name, rest)
    ask = f"Which status? Pick {or_list(list(_STATUSES))}."
    return cmd.SetStatus(ticket, _word(name, rest, _STATUSES, ask=ask, what="a status"))


def _priority(name: str, rest: str) -> cmd.Command:
    ticket, rest = read_ticket(name, rest)
    ask = f"Which priority? Pick {or_list([p.name.lower() for p in Priority])}."
    return cmd.SetPriority(ticket, _word(name, rest, _PRIORITIES, ask=ask, what="a priority"))


def _switch(name: str, rest: str) -> bool:
    return _word(name, rest, _ON_OFF, ask="On or off?", what="on or off")


def _category(name: str, rest: str) -> cmd.Command:
    ticket, rest = read_ticket(name, rest)
    category = _unquote(slack_to_plain(rest.strip()))
    if not category:
        refuse(name, "Which category? Give its name (`/mava categories` lists them).")
    return cmd.SetCategory(ticket, category)


def _bare(command: cmd.Command) -> Parser:
    """A subcommand that takes no arguments."""

    def parse(name: str, rest: str) -> cmd.Command:
        no_more(name, rest)
        return command

    return parse


def _assign(name: str, rest: str) -> cmd.Command:
    ticket, rest = read_ticket(name, rest)
    token = next_token(rest)
    if token is None:
        refuse(name, "Assign to whom? Mention a user, or say me or none.")
    word, rest = token
    target: cmd.AssignTarget
    user = _USER.match(word)
    if word.lower() == "me":
        target = cmd.AssignMe()
    elif word.lower() in _UNASSIGN_WORDS:
        target = cmd.Unassign()
    elif user:
        target = cmd.AssignUser(user.group(1))
    elif word.startswith("@"):
        refuse(
            name,
            f"I can't tell who '{shown(word)}' is. Pick the person from Slack's "
            "autocomplete as you type @ (if that still fails, the /mava command needs "
            '"Escape channels, users, and links" turned on in the app settings).',
        )
    else:
        refuse(name, f"'{shown(word)}' is not a user. Mention them with @, or say me.")
    no_more(name, rest)
    return cmd.Assign(ticket, target)


def _tickets(name: str, rest: str) -> cmd.Command:
    statuses: list[Status] = []
    origins: list[Origin] = []
    assignee: cmd.Assignee = "any"
    high_only = False
    for word in rest.split():
        lowered = word.lower()
        if lowered in _STATUSES:
            statuses.append(_STATUSES[lowered])
        elif lowered in ORIGIN_WORDS:
            origins.append(ORIGIN_WORDS[lowered])
        elif lowered in ("unassigned", "mine"):
            if assignee not in ("any", lowered):
                refuse(name, "Pick either unassigned or mine, not both.")
            assignee = "unassigned" if lowered == "unassigned" else "mine"
        elif lowered == "high":
            high_only = True
        else:
            refuse(name, f"I don't know the filter '{shown(word)}'.")
    unique = dict.fromkeys
    return cmd.ListTickets(tuple(unique(statuses)), assignee, tuple(unique(origins)), high_only)


def _unwrap(word: str) -> str:
    """`<mailto:a@b.c|a@b.c>` (how Slack sends a typed email) -> `a@b.c`."""
    if word.startswith("<") and word.endswith(">"):
        word = word[1:-1].split("|", 1)[0]
    if word.lower().startswith("mailto:"):
        word = word[len("mailto:") :]
    return unescape(word).strip()


def _email(name: str, word: str) -> str:
    email = _unwrap(word)
    if not _EMAIL.match(email):
        refuse(name, f"'{shown(email)}' does not look like an email address.")
    return email


def _identify(name: str, rest: str) -> cmd.Command:
    token = next_token(rest)
    if token is None:
        refuse(name, "Whose attributes? Start with the customer's email.")
    word, rest = token
    email = _email(name, word)
    words = split_quoted(slack_to_plain(rest))
    if isinstance(words, str):
        refuse(name, words)
    if not words:
        refuse(name, "Give at least one attribute as label=value.")
    attributes: dict[str, tuple[str, str]] = {}
    for item in words:
        label, equals, value = item.partition("=")
        label = label.strip()
        if not equals or not label:
            refuse(name, f"'{shown(item)}' is not label=value.")
        if label.casefold() in attributes:
            refuse(name, f"The label '{shown(label)}' is given twice.")
        attributes[label.casefold()] = (label, value.strip())
    return cmd.Identify(email, tuple(attributes.values()))


def _create(name: str, rest: str) -> cmd.Command:
    """`/mava create [EMAIL] [TEXT]`: both optional, the modal asks for what is missing."""
    token = next_token(rest)
    if token is None:
        return cmd.Create(None, "")
    word, after = token
    if "@" not in _unwrap(word):
        return cmd.Create(None, slack_to_plain(rest).strip())
    return cmd.Create(_email(name, word), slack_to_plain(after).strip())


def _unsubscribe(name: str, rest: str) -> cmd.Command:
    words = rest.split()
    if not words:
        refuse(name, "Which subscription? `/mava subscriptions` shows their ids.")
    match = _SUBSCRIPTION_ID.match(words[0])
    if match is None or int(match.group(1)) < 1:
        refuse(name, f"'{shown(words[0])}' is not a subscription id (a number).")
    no_more(name, " ".join(words[1:]))
    return cmd.Unsubscribe(int(match.group(1)))


def _report(name: str, rest: str) -> cmd.Command:
    what = "a period: say 7d or 30d"
    return cmd.ReportNow(_word(name, rest, _PERIODS, ask="", what=what) if rest.split() else 7)


_HANDLERS: dict[str, Parser] = {
    "reply": _compose,
    "note": _compose,
    "status": _status,
    "resolve": lambda name, rest: cmd.SetStatus(_ticket_alone(name, rest), Status.RESOLVED),
    "reopen": lambda name, rest: cmd.SetStatus(_ticket_alone(name, rest), Status.OPEN),
    "priority": _priority,
    "category": _category,
    "categories": _bare(cmd.ListCategories()),
    "subscriptions": _bare(cmd.ListSubscriptions()),
    "digest": _bare(cmd.DigestNow()),
    "report": _report,
    "assign": _assign,
    "show": lambda name, rest: cmd.Show(_ticket_alone(name, rest)),
    "tickets": _tickets,
    "identify": _identify,
    "subscribe": parse_subscribe,
    "unsubscribe": _unsubscribe,
    "follow": lambda name, rest: cmd.Follow(_ticket_alone(name, rest)),
    "unfollow": lambda name, rest: cmd.Unfollow(_ticket_alone(name, rest)),
    "thread-notes": lambda name, rest: cmd.ThreadNotes(_switch(name, rest)),
    "notify": lambda name, rest: cmd.Notify(_switch(name, rest)),
    "create": _create,
    "sla": parse_sla,
    "help": lambda name, rest: cmd.Help(),
}


def parse(text: str) -> cmd.Command | cmd.Usage:
    """Parse the text after `/mava`. Never raises."""
    token = next_token(text)
    if token is None:
        return cmd.Help()
    word, rest = token
    name = word.lower()
    name = "resolve" if name == "close" else name  # `close` is `resolve` by another name
    handler = _HANDLERS.get(name)
    if handler is None:
        return cmd.Usage(
            None,
            f"I don't know `/mava {shown(word)}`. Subcommands: "
            + ", ".join(SUBCOMMANDS)
            + ".\nTry `/mava help` for how to use each.",
        )
    try:
        return handler(name, rest)
    except Unparsed as problem:
        return problem.usage
