"""Small wording rules shared by messages people read (Slack replies, usage hints)."""

from __future__ import annotations

from typing import Final


def or_list(items: list[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def shown(text: str, limit: int = 40) -> str:
    """User input echoed in a message: one line, short, no backticks to break code."""
    flat = " ".join(text.split()).replace("`", "'")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_UNITS: tuple[tuple[str, int], ...] = (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60), ("m", 1))
WEEKS_ALONE: Final = 4  # from 4 weeks on, the days are noise: "13 w", not "13 w 2 d"


def duration(seconds: float) -> str:
    """How long, as people say it: the largest unit and the next one unless zero, each
    rounded down ("2 h 5 m", "3 w 2 d"); weeks alone from `WEEKS_ALONE` weeks on; "< 1 m"
    under a minute (or a negative time, clock skew)."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "< 1 m"
    for index, (name, size) in enumerate(_UNITS):
        count, rest = divmod(minutes, size)
        if not count:
            continue
        if (name == "w" and count >= WEEKS_ALONE) or index + 1 == len(_UNITS):
            return f"{count} {name}"
        next_name, next_size = _UNITS[index + 1]
        more = rest // next_size
        return f"{count} {name} {more} {next_name}" if more else f"{count} {name}"
    raise AssertionError("unreachable: a minute or more has a unit")
