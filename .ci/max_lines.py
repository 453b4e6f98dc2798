#!/usr/bin/env python3
"""Fail when a Python file in src/ or sandbox/src/ is over MAX_LINES lines: small modules
are a house rule (docs/ARCHITECTURE.md). Run by .ci/run."""

from __future__ import annotations

import sys
from pathlib import Path

MAX_LINES = 400
REPO = Path(__file__).resolve().parent.parent
ROOTS = ("src", "sandbox/src")

# Files over the bound, to be split. Issue #20 split the last of them; nothing joins this
# list: a new big file is split instead. A file split below the bound leaves it.
KNOWN: frozenset[str] = frozenset()


def line_count(path: Path) -> int:
    with path.open(encoding="utf-8") as file:
        return sum(1 for _ in file)


def main() -> int:
    sizes = {
        path.relative_to(REPO).as_posix(): line_count(path)
        for root in ROOTS
        for path in sorted((REPO / root).rglob("*.py"))
    }
    big = {name: n for name, n in sizes.items() if n > MAX_LINES and name not in KNOWN}
    for name, n in big.items():
        print(f"{name}: {n} lines, over {MAX_LINES}: split it into smaller modules")
    done = sorted(name for name in KNOWN if sizes.get(name, 0) <= MAX_LINES)
    for name in done:
        print(f"{name}: {MAX_LINES} lines or fewer now: remove it from KNOWN in .ci/max_lines.py")
    return 1 if big or done else 0


if __name__ == "__main__":
    sys.exit(main())
