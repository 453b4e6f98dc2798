"""The demo's `dms` line: an assignment made in the dashboard is DMed to the member whose
Slack email is the agent's, once; a reminders subscription posts a customer waiting too
long (a new subscription first sums up what waits already, in one post); what was
assigned when the demo started is not DMed."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console

from mava_sandbox.demo.session import run_demo


def plain_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(
        file=out, width=120, force_terminal=False, color_system=None, highlight=False, markup=False
    )
    return console, out


def test_dms_shows_the_dm_once_and_reminders() -> None:
    console, out = plain_console()
    script = [
        "dms",
        "dashboard $T2 assignee=Omar",
        "dms",
        "dms",
        "/mava subscribe reminders after 30m",
        "dms",
    ]
    asyncio.run(run_demo(script, console, seed=7, tickets=40, digest=False))
    text = " ".join(out.getvalue().split())
    first, second, third, fourth = text.split("The bot's desk jobs:")[1:5]
    assert first.startswith(" 0 assignment DM(s) sent")  # the start's baseline: no flood
    assert "DM with @Omar" in first and "Assigned to you" in first  # shown before its line
    assert second.startswith(" 1 assignment DM(s) sent")
    assert third.startswith(" 0 assignment DM(s) sent")  # once per assignment
    assert "DM with @Omar" not in second
    assert fourth.startswith(" 0 assignment DM(s) sent") and "0 reminder(s) posted" in fourth
    assert "waiting already, summed up in one post" in fourth  # no flood: one summary
    assert "already wait longer than 30 m for an agent" in third  # shown before its line
    assert "Customer waiting" not in third
