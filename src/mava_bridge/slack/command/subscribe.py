"""The words of `/mava subscribe digest|alerts`: schedule, priority, assignee, origin
and category, with the defaults each kind applies."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.schedule import DEFAULT_DIGEST_SCHEDULE, Schedule
from mava_bridge.domain.tickets import Origin, Priority
from mava_bridge.domain.wording import shown
from mava_bridge.slack.command.help import USAGE, Unparsed, refuse
from mava_bridge.slack.command.model import (
    Command,
    SubscribeAlerts,
    SubscribeBreaches,
    SubscribeDigest,
    SubscribeRatings,
    SubscribeReminders,
    SubscribeReport,
    Usage,
)
from mava_bridge.slack.command.tokens import ORIGIN_WORDS, split_quoted
from mava_bridge.slack.text import slack_to_plain

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


def _read_filters(name: str, words: list[str], *, digest: bool) -> _FilterWords:
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
                refuse(name, "Pick one priority: high or medium.")
            found.priority = level
        elif lowered == "unassigned" or (digest and lowered in ("all", "any")):
            value = lowered == "unassigned"
            if found.unassigned not in (None, value):
                refuse(name, "Pick either all or unassigned, not both.")
            found.unassigned = value
        elif lowered in ("origin", "origins", "from"):
            start = i
            while i < len(words) and words[i].lower() in ORIGIN_WORDS:
                origins.append(ORIGIN_WORDS[words[i].lower()])
                i += 1
            if i == start:
                known = ", ".join(origin.value for origin in Origin)
                refuse(name, f"Name an origin after 'origin': one of {known}.")
        elif lowered in ORIGIN_WORDS:
            origins.append(ORIGIN_WORDS[lowered])
        elif lowered == "category":
            if i >= len(words) or not words[i].strip():
                refuse(name, "Name the category after 'category' (quote it if it has spaces).")
            categories.append(words[i].strip())
            i += 1
        elif digest and lowered in ("daily", "weekdays", "weekday", "cron"):
            if found.schedule is not None:
                refuse(name, "Give one schedule: daily, weekdays or cron.")
            if lowered == "cron":
                if i < len(words) and len(words[i].split()) > 1:
                    expr, i = words[i], i + 1  # quoted: cron "30 9 * * 1-5"
                else:
                    expr, i = " ".join(words[i : i + 5]), i + 5
                try:
                    found.schedule = Schedule.from_cron(expr)
                except ValueError as error:
                    refuse(name, str(error))
                continue
            if i < len(words) and words[i].lower() == "at":
                i += 1
            hour, minute = 9, 0
            if i < len(words) and words[i][:1].isdigit():
                time = _parse_time(words[i])
                if time is None:
                    refuse(name, f"'{shown(words[i])}' is not a time; use HH:MM.")
                hour, minute = time
                i += 1
            make = Schedule.daily if lowered == "daily" else Schedule.weekdays
            found.schedule = make(hour, minute)
        else:
            hint = " Quote category names with spaces." if categories else ""
            refuse(name, f"I don't know the word '{shown(word)}'.{hint}")
    found.origins = tuple(dict.fromkeys(origins))
    found.categories = tuple(dict.fromkeys(categories))
    return found


def parse_subscribe(name: str, rest: str) -> Command:
    words = split_quoted(slack_to_plain(rest))
    if isinstance(words, str):
        raise Unparsed(Usage(name, words + "\n" + USAGE["subscribe digest"]))
    kind = words[0].lower() if words else ""
    if kind in ("digest", "digests"):
        found = _read_filters("subscribe digest", words[1:], digest=True)
        filters = Filters(
            min_priority=found.priority,
            unassigned_only=found.unassigned is not False,
            origins=found.origins,
            categories=found.categories,
        )
        return SubscribeDigest(found.schedule or DEFAULT_DIGEST_SCHEDULE, filters)
    if kind in ("alerts", "alert"):
        found = _read_filters("subscribe alerts", words[1:], digest=False)
        unassigned = bool(found.unassigned)
        priority = found.priority
        if priority is None and not unassigned:
            priority = Priority.HIGH
        return SubscribeAlerts(Filters(priority, unassigned, found.origins, found.categories))
    if kind in ("reminders", "reminder"):
        return _parse_reminders(words[1:])
    if kind in ("breaches", "breach"):
        found = _read_filters("subscribe breaches", words[1:], digest=False)
        filters = Filters(found.priority, bool(found.unassigned), found.origins, found.categories)
        return SubscribeBreaches(filters)
    if kind in ("ratings", "rating"):
        return _parse_ratings(words[1:])
    if kind in ("report", "reports"):
        return _parse_report(words[1:])
    kinds = ("digest", "alerts", "reminders", "breaches", "ratings", "report")
    if kind:
        problem = f"I can subscribe to {', '.join(kinds)}, not '{shown(words[0])}'."
    else:
        problem = f"Subscribe to what? Say {', '.join(kinds)}."
    forms = "\n".join(USAGE[f"subscribe {k}"] for k in kinds)
    raise Unparsed(Usage(name, f"{problem}\n{forms}"))


_WAIT = re.compile(r"^(?:([0-9]{1,3})h)?(?:([0-9]{1,4})m?)?$")
DEFAULT_WAIT_MINUTES = 30
MAX_WAIT_MINUTES = 7 * 24 * 60  # a week; beyond that a digest says it better


def _wait_minutes(word: str) -> int | None:
    """30m, 45, 2h, 1h30m -> minutes; None if it is none of those."""
    match = _WAIT.match(word.lower())
    if match is None or not word:
        return None
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _parse_reminders(words: list[str]) -> Command:
    name = "subscribe reminders"
    wait = DEFAULT_WAIT_MINUTES
    if words and words[0].lower() == "after":
        if len(words) < 2:
            refuse(name, "After how long? e.g. after 30m or after 2h.")
        found = _wait_minutes(words[1])
        if found is None:
            refuse(name, f"'{shown(words[1])}' is not a wait; write 30m, 2h or 1h30m.")
        if not 1 <= found <= MAX_WAIT_MINUTES:
            refuse(name, "Pick a wait between 1m and 168h (a week).")
        wait, words = found, words[2:]
    filters = _read_filters(name, words, digest=False)
    return SubscribeReminders(
        wait,
        Filters(filters.priority, bool(filters.unassigned), filters.origins, filters.categories),
    )


def _parse_ratings(words: list[str]) -> Command:
    values: list[int] = []
    for word in words:
        if word not in ("1", "2", "3", "4", "5"):
            refuse("subscribe ratings", f"'{shown(word)}' is not a rating from 1 to 5.")
        values.append(int(word))
    return SubscribeRatings(tuple(sorted(set(values))) or (1, 2))


def _parse_report(words: list[str]) -> Command:
    name = "subscribe report"
    every = words[0].lower() if words else ""
    if every not in ("weekly", "daily"):
        refuse(name, "Say weekly or daily.")
    hour, minute = 9, 0
    if len(words) > 1:
        time = _parse_time(words[1].lower().removeprefix("at"))
        if time is None or len(words) > 2:
            refuse(name, f"'{shown(' '.join(words[1:]))}' is not a time; use HH:MM.")
        hour, minute = time
    if every == "daily":
        return SubscribeReport(Schedule.daily(hour, minute), 1)
    return SubscribeReport(Schedule.weekly(hour, minute), 7)
