"""Shared helpers for the benchmark scripts: percentiles and bench/RESULTS.md sections."""

from __future__ import annotations

import os
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\n"
    "Each section is rewritten by the script named in it (`python bench/NAME.py`).\n"
    "Numbers are from one run on the machine described; a shared machine adds noise.\n"
)

if str(ROOT) not in sys.path:  # run as `python bench/NAME.py` from the repository root
    sys.path.insert(0, str(ROOT))


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def machine() -> str:
    host = platform.node() or "unknown host"
    return f"{host}, nproc={os.cpu_count()}, Python {platform.python_version()}"


# A section's hand-written part: from this line to the section's end, kept on a re-run.
NOTES = "Notes (kept when the script writes this section again):"


def write_section(name: str, body: str, *, script: str = "", args: str = "") -> None:
    """Print `body`, and replace (or append) the `## name` section of bench/RESULTS.md.
    `script` (default: `name`) and `args` say how to run it again."""
    print(body)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"## {name}\n\n"
        f"- Date: {stamp}\n"
        f"- Machine: {machine()}\n"
        f"- Command: `.venv/bin/python bench/{script or name}.py{' ' + args if args else ''}`\n\n"
        f"{body.rstrip()}\n"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    found = pattern.search(text)
    if found:
        # What a person wrote under NOTES (why a number is what it is) outlives the run.
        _, marker, notes = found.group(0).partition(NOTES)
        section += f"\n{marker}{notes.rstrip()}\n" if marker else ""
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text.rstrip() + "\n")
