"""The README's test command, timed: N runs in a row, optionally beside CPU burners.

Issue #20's targets for the suite: the whole suite with PostgreSQL under 4 minutes on 2
cores, and 3 runs in a row green while two CPU-burning processes run beside it. Each run
is `pytest` exactly as the README and `.ci/run` call it (the workers come from
pyproject's addopts), with TEST_DATABASE_URL set as `.ci/run` sets it when PostgreSQL
answers at 127.0.0.1:5432. A burner is a Python process spinning on one core.

    .venv/bin/python bench/suite_time.py                 # 1 run, quiet machine
    .venv/bin/python bench/suite_time.py --runs 3 --burners 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, write_section

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")


def postgres_answers(url: str) -> bool:
    import asyncpg

    async def probe() -> None:
        connection = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception:
        return False
    return True


def one_run(environment: dict[str, str], burners: int) -> tuple[float, dict[str, int], list[str]]:
    """(seconds, counts by outcome, the ids of what failed) of one `pytest`."""
    spinning = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(burners)
    ]
    try:
        began = time.monotonic()
        done = subprocess.run(
            [str(Path(sys.executable).parent / "pytest")],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.monotonic() - began
    finally:
        for burner in spinning:
            burner.kill()
            burner.wait()
    lines = done.stdout.splitlines()
    closing = next((line for line in reversed(lines) if " in " in line and "=" in line), "")
    counts = {word.rstrip("s"): int(n) for n, word in SUMMARY.findall(closing)}
    # "FAILED tests/x.py::test[a b] - AssertionError: ...": the id may hold spaces.
    failed = [
        line.split(" ", 1)[1].split(" - ", 1)[0]
        for line in lines
        if line.startswith(("FAILED ", "ERROR "))
    ]
    if done.returncode != 0 and not failed:
        failed = [f"pytest exited {done.returncode}: {closing or 'no summary line'}"]
    if failed:  # what failed and why, for whoever reads the row
        with tempfile.NamedTemporaryFile(
            "w", prefix="suite-time-", suffix=".log", delete=False
        ) as kept:
            kept.write(done.stdout + done.stderr)
        print(f"pytest's output of this run: {kept.name}", flush=True)
    return seconds, counts, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--burners", type=int, default=0)
    args = parser.parse_args()

    environment = dict(os.environ)
    if "TEST_DATABASE_URL" not in environment and postgres_answers(POSTGRES):
        environment["TEST_DATABASE_URL"] = POSTGRES
    database = "PostgreSQL" if "TEST_DATABASE_URL" in environment else "no PostgreSQL"
    load = os.getloadavg()[0]
    extra = environment.get("PYTEST_ADDOPTS")
    command = f"`PYTEST_ADDOPTS={extra!r} pytest`" if extra else "`pytest`"
    rows, green_in_a_row, slowest = [], 0, 0.0
    for number in range(1, args.runs + 1):
        seconds, counts, failed = one_run(environment, args.burners)
        slowest = max(slowest, seconds)
        green = not failed and counts.get("passed", 0) > 0
        green_in_a_row = green_in_a_row + 1 if green else 0
        outcome = "green" if green else "FAILED: " + ", ".join(f"`{f}`" for f in failed[:5])
        rows.append(
            f"| {number} | {seconds:.1f} s | {counts.get('passed', 0)}"
            f" | {counts.get('failed', 0) + counts.get('error', 0)}"
            f" | {counts.get('skipped', 0)} | {outcome} |"
        )
        print(rows[-1], flush=True)
    lines = [
        f"The README's {command} ({database};"
        f" workers from pyproject's addopts), {args.runs} run(s) in a row, each beside"
        f" {args.burners} CPU-burning process(es); load average {load:.1f} before the first.",
        "",
        "| run | wall time | passed | failed or error | skipped | outcome |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Green in a row at the end: {green_in_a_row} of {args.runs}; slowest run"
        f" {slowest:.1f} s (target: under 240 s quiet; 3 green in a row beside 2 burners).",
    ]
    # Quiet runs and runs beside burners answer different targets: one section each.
    name = "suite_time_beside_burners" if args.burners else "suite_time"
    arguments = f"--runs {args.runs}" + (f" --burners {args.burners}" if args.burners else "")
    write_section(name, "\n".join(lines), script="suite_time", args=arguments)


if __name__ == "__main__":
    main()
