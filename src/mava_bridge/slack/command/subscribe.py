"""The words of `/mava subscribe KIND`: schedule, priority, assignee, origin and category,
with the defaults each kind applies; and the quoting and origin words `/mava` shares."""

from __future__ import annotations

import re
import shlex

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.schedule import DEFAULT_DIGEST_SCHEDULE, Schedule
from mava_bridge.domain.tickets import Origin, Priority
from mava_bridge.domain.wording import shown
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.command.help import USAGE, Unparsed, refuse
from mava_bridge.slack.text import slack_to_plain

ORIGIN_WORDS: dict[str, Origin] = {origin.value: origin for origin in Origin}
ORIGIN_WORDS.update({"telegram_group": Origin.TELEGRAM_GROUP, "webchat": Origin.WEB})
SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
_KINDS = {  # each kind, and its other spelling
    "digest": "digests",
    "alerts": "alert",
    "reminders": "reminder",
    "breaches": "breach",
    "ratings": "rating",
    "report": "reports",
}
_KIND_WORDS = {word: kind for kind, other in _KINDS.items() for word in (kind, other)}
_TIME = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
_WAIT = re.compile(r"^(?:([0-9]{1,3})h)?(?:([0-9]{1,4})m?)?$")
DEFAULT_WAIT_MINUTES = 30
MAX_WAIT_MINUTES = 7 * 24 * 60  # a week; beyond that a digest says it better


def split_quoted(text: str) -> list[str] | str:
    """Words with shell-like quoting; an error sentence (a str) for unbalanced quotes."""
    try:
        return shlex.split(text.translate(SMART_QUOTES), posix=True)
    except ValueError:
        return (
            "A quote is not closed. Put values with spaces in matching quotes, "
            'e.g. plan="Gold plus", or leave out a stray \' or ".'
        )


def _parse_time(word: str) -> tuple[int, int] | None:
    match = _TIME.match(word)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _read_filters(
    name: str, words: list[str], *, digest: bool = False, default: Priority | None = None
) -> tuple[Filters, Schedule | None]:
    """The filters the words name, `default` the priority when they name neither one nor
    unassigned; a digest's schedule. A digest is for unassigned tickets unless told all."""
    priority: Priority | None = None
    unassigned: bool | None = None
    origins: list[Origin] = []
    categories: list[str] = []
    schedule: Schedule | None = None
    i = 0
    while i < len(words):
        word = words[i]
        lowered = word.lower()
        i += 1
        if lowered in ("high", "medium"):
            level = Priority.HIGH if lowered == "high" else Priority.MEDIUM
            if priority not in (None, level):
                refuse(name, "Pick one priority: high or medium.")
            priority = level
        elif lowered == "unassigned" or (digest and lowered in ("all", "any")):
            value = lowered == "unassigned"
            if unassigned not in (None, value):
                refuse(name, "Pick either all or unassigned, not both.")
            unassigned = value
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
            if schedule is not None:
                refuse(name, "Give one schedule: daily, weekdays or cron.")
            if lowered == "cron":
                if i < len(words) and len(words[i].split()) > 1:
                    expr, i = words[i], i + 1  # quoted: cron "30 9 * * 1-5"
                else:
                    expr, i = " ".join(words[i : i + 5]), i + 5
                try:
                    schedule = Schedule.from_cron(expr)
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
            schedule = make(hour, minute)
        else:
            hint = " Quote category names with spaces." if categories else ""
            refuse(name, f"I don't know the word '{shown(word)}'.{hint}")
    only_unassigned = unassigned is not False if digest else bool(unassigned)
    if priority is None and not only_unassigned:
        priority = default
    unique = dict.fromkeys
    filters = Filters(priority, only_unassigned, tuple(unique(origins)), tuple(unique(categories)))
    return filters, schedule


def parse_subscribe(name: str, rest: str) -> cmd.Command:
    words = split_quoted(slack_to_plain(rest))
    if isinstance(words, str):
        raise Unparsed(cmd.Usage(name, words + "\n" + USAGE["subscribe digest"]))
    said = words[0] if words else ""
    kind = _KIND_WORDS.get(said.lower())
    if kind is None:
        kinds = ", ".join(_KINDS)
        if said:
            problem = f"I can subscribe to {kinds}, not '{shown(said)}'."
        else:
            problem = f"Subscribe to what? Say {kinds}."
        forms = "\n".join(USAGE[f"subscribe {k}"] for k in _KINDS)
        raise Unparsed(cmd.Usage(name, f"{problem}\n{forms}"))
    name, words = f"subscribe {kind}", words[1:]
    if kind == "digest":
        filters, schedule = _read_filters(name, words, digest=True)
        return cmd.SubscribeDigest(schedule or DEFAULT_DIGEST_SCHEDULE, filters)
    if kind == "alerts":
        return cmd.SubscribeAlerts(_read_filters(name, words, default=Priority.HIGH)[0])
    if kind == "breaches":
        return cmd.SubscribeBreaches(_read_filters(name, words)[0])
    if kind == "reminders":
        return _parse_reminders(name, words)
    if kind == "ratings":
        return _parse_ratings(name, words)
    return _parse_report(name, words)


def _wait_minutes(word: str) -> int | None:
    """30m, 45, 2h, 1h30m -> minutes; None if it is none of those."""
    match = _WAIT.match(word.lower())
    if match is None or not word:
        return None
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _parse_reminders(name: str, words: list[str]) -> cmd.Command:
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
    return cmd.SubscribeReminders(wait, _read_filters(name, words)[0])


def _parse_ratings(name: str, words: list[str]) -> cmd.Command:
    values: list[int] = []
    for word in words:
        if word not in ("1", "2", "3", "4", "5"):
            refuse(name, f"'{shown(word)}' is not a rating from 1 to 5.")
        values.append(int(word))
    return cmd.SubscribeRatings(tuple(sorted(set(values))) or (1, 2))


def _parse_report(name: str, words: list[str]) -> cmd.Command:
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
        return cmd.SubscribeReport(Schedule.daily(hour, minute), 1)
    return cmd.SubscribeReport(Schedule.weekly(hour, minute), 7)
