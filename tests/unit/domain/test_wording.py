"""`duration`: the one way a wait or an age is written ("45 m", "2 h 5 m", "2 d 4 h",
"3 w 2 d", "13 w"). Read back, it is never more than the time it names, and short of it
by less than its smallest unit shown."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mava_bridge.domain.wording import WEEKS_ALONE, duration

MINUTE = 60
SIZES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}
ORDER = ["w", "d", "h", "m"]
PART = re.compile(r"(\d+) ([wdhm])")


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (0, "< 1 m"),
        (59, "< 1 m"),
        (-3600, "< 1 m"),  # a clock a little ahead
        (45 * MINUTE, "45 m"),
        (2 * 3600, "2 h"),
        (2 * 3600 + 5 * MINUTE + 59, "2 h 5 m"),
        (2 * 86400 + 4 * 3600 + 59 * MINUTE, "2 d 4 h"),
        (7 * 86400 + 30 * MINUTE, "1 w"),
        (3 * 7 * 86400 + 2 * 86400, "3 w 2 d"),
        (2230 * 3600 + 54 * MINUTE, "13 w"),  # was "2230h54m"
    ],
)
def test_examples(seconds: int, said: str) -> None:
    assert duration(seconds) == said


@given(st.integers(min_value=60, max_value=10 * 365 * 86400))
def test_read_back_it_names_the_time_to_its_last_unit(seconds: int) -> None:
    said = duration(seconds)
    parts = [(int(n), unit) for n, unit in PART.findall(said)]
    assert " ".join(f"{n} {u}" for n, u in parts) == said  # nothing else in it
    assert 1 <= len(parts) <= 2 and all(n > 0 for n, _ in parts)
    units = [unit for _, unit in parts]
    if len(units) == 2:  # the largest unit and the next one, never a gap
        assert ORDER.index(units[1]) == ORDER.index(units[0]) + 1
        assert units[0] != "w" or parts[0][0] < WEEKS_ALONE
    # Exact to the smallest unit it shows; a largest unit shown alone means the next
    # one was zero (weeks alone: exact to the week).
    last = units[-1]
    if len(units) == 2 or last in ("w", "m"):
        precision = SIZES[last]
    else:
        precision = SIZES[ORDER[ORDER.index(last) + 1]]
    minutes = sum(n * SIZES[u] for n, u in parts)
    assert minutes <= seconds // MINUTE < minutes + precision


@given(st.integers(min_value=60, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_a_longer_time_never_reads_shorter(seconds: int, more: int) -> None:
    def back(said: str) -> int:
        return sum(int(n) * SIZES[u] for n, u in PART.findall(said))

    assert back(duration(seconds)) <= back(duration(seconds + more))
