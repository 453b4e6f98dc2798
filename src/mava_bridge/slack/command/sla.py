"""The words of `/mava sla`: show, `set` a priority's targets, `hours` of the clock."""

from __future__ import annotations

import re
from datetime import time

from mava_bridge.domain.business_hours import ALL_DAYS, DAYS, BusinessHours
from mava_bridge.domain.sla import PRIORITIES, TARGETS
from mava_bridge.domain.wording import shown
from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.command.help import refuse

_DURATION = re.compile(r"^(?:([0-9]{1,3})d)?(?:([0-9]{1,4})h)?(?:([0-9]{1,5})m)?$")
_RANGE = re.compile(r"^([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})$")
MAX_TARGET = 90 * 86400  # a quarter; beyond that a target says nothing useful
_DAY_WORDS = {"weekdays": frozenset(range(5)), "daily": ALL_DAYS, "everyday": ALL_DAYS}


def parse_seconds(word: str) -> int | None:
    """15m, 2h, 1d, 1h30m -> seconds; None if it is none of those (or nothing)."""
    match = _DURATION.match(word.lower())
    if match is None or not any(match.groups()):
        return None
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60


def parse_days(word: str) -> frozenset[int] | None:
    """mon-fri, sat-sun, mon,wed,fri, fri-mon (wraps), weekdays, daily."""
    word = word.lower()
    if word in _DAY_WORDS:
        return _DAY_WORDS[word]
    found: set[int] = set()
    for part in word.split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(end[:3] not in DAYS or len(end) < 3 for end in ends):
            return None
        first, last = DAYS.index(ends[0][:3]), DAYS.index(ends[-1][:3])
        found.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return frozenset(found)


def parse_sla(name: str, rest: str) -> cmd.Command:
    words = rest.split()
    if not words:
        return cmd.SlaShow()
    verb, words = words[0].lower(), words[1:]
    if verb == "set":
        return _parse_set(words)
    if verb == "hours":
        return _parse_hours(words)
    refuse("sla", f"I don't know `/mava sla {shown(verb)}`: say set or hours.")


def _parse_set(words: list[str]) -> cmd.Command:
    name = "sla set"
    if not words:
        refuse(name, "For which priority: high, medium, low or all?")
    which = words[0].lower()
    if which not in (*PRIORITIES, "all"):
        refuse(name, f"'{shown(words[0])}' is not a priority: high, medium, low or all.")
    targets: dict[str, int] = {}
    rest = words[1:]
    for index in range(0, len(rest), 2):
        target = rest[index].lower()
        if target not in TARGETS:
            refuse(name, f"'{shown(rest[index])}' is not a target: {', '.join(TARGETS)}.")
        if target in targets:
            refuse(name, f"Give {target} once.")
        seconds = parse_seconds(rest[index + 1]) if index + 1 < len(rest) else None
        if seconds is None:
            refuse(name, f"How long for {target}? Write 15m, 2h or 1d.")
        if not 60 <= seconds <= MAX_TARGET:
            refuse(name, "Pick a target between 1m and 90d.")
        targets[target] = seconds
    if "first-response" not in targets:
        refuse(name, "Give at least the first-response target.")
    priorities = PRIORITIES if which == "all" else (which,)
    return cmd.SlaSet(tuple(priorities), tuple((t, targets[t]) for t in TARGETS if t in targets))


def _parse_hours(words: list[str]) -> cmd.Command:
    name = "sla hours"
    if [w.lower() for w in words] == ["always"]:
        return cmd.SlaHours(ALL_DAYS, None, None, None)
    if len(words) not in (2, 3):
        refuse(name, "Say which days, from when to when, and optionally a time zone.")
    days = parse_days(words[0])
    if days is None:
        refuse(name, f"'{shown(words[0])}' is not days: write mon-fri or mon,wed,fri.")
    match = _RANGE.match(words[1])
    if match is None:
        refuse(name, f"'{shown(words[1])}' is not a time range: write 09:00-18:00.")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if max(h1, h2) > 23 or max(m1, m2) > 59:
        refuse(name, f"'{shown(words[1])}' is not a time range: write 09:00-18:00.")
    zone = words[2] if len(words) == 3 else None
    try:
        BusinessHours(days, time(h1, m1), time(h2, m2), zone or "UTC")
    except ValueError as exc:
        refuse(name, str(exc))
    return cmd.SlaHours(days, time(h1, m1), time(h2, m2), zone)
