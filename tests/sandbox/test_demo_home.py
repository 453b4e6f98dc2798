"""The demo's `home` line: @Jane opens the app's Home tab, the bot publishes it, and its
buttons work like any other the demo shows (click Assign to me)."""

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


def test_home_shows_janes_desk_and_its_buttons_act() -> None:
    console, out = plain_console()
    script = ["home", "click Assign to me"]
    asyncio.run(run_demo(script, console, seed=7, tickets=40, digest=False))
    text = " ".join(out.getvalue().split())
    assert "App Home" in text and "Your Mava desk" in text
    assert "Assigned to me" in text and "Unassigned queue" in text
    assert "@Jane presses [ Assign to me ]" in text
    assert "assigned to Jane Smith" in text  # Home redrawn with the outcome on top


def test_home_shows_the_subscriptions_of_janes_channels() -> None:
    console, out = plain_console()
    script = ["home", "/mava subscribe alerts high", "home"]
    asyncio.run(run_demo(script, console, seed=7, tickets=20, digest=False))
    first, _, second = out.getvalue().partition("mava> /mava subscribe alerts high")
    flat = [" ".join(part.split()) for part in (first, second)]
    # #support has Jane in it (users.conversations) and a weekday digest from the start.
    assert "Subscriptions in your channels" in flat[0]
    assert "#support · digest weekdays at 09:00 (UTC): unassigned tickets" in flat[0]
    assert "None of your channels" not in flat[0]
    # A subscription she adds there shows on her next Home.
    assert "#support · alerts: " in flat[1]
