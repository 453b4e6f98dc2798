"""The demo's `dms` line: the leader's desk jobs run now — a DM for each new assignment
(to the member whose Slack email is the agent's), a reminder for each customer waiting
too long in a channel subscribed with `/mava subscribe reminders`, and SLA warnings and
breaches in a channel subscribed with `/mava subscribe breaches` — and say what they did.
`baseline` is the first look the bot takes at start (what is assigned already: no DM)."""

from __future__ import annotations

from typing import Any


def _desk(runtime: Any) -> Any:
    return getattr(getattr(runtime, "delivery", None), "desk", None)


async def baseline(runtime: Any) -> None:
    desk = _desk(runtime)
    if desk is not None:
        await desk.dms.poll_once(max_age=0)


async def run_ratings(runtime: Any) -> str:
    """The ratings job now; a sentence for the demo."""
    ratings = getattr(getattr(runtime, "delivery", None), "ratings", None)
    if ratings is None:
        return "(this build of the bot has no ratings)"
    report = await ratings.poll_once()
    if not report.subscriptions:
        return "No channel subscribes to ratings (/mava subscribe ratings 1 2)."
    said = f"The bot's ratings job: {report.posted} rating(s) posted"
    if report.baselined:
        said += f"; {report.baselined} rated before the subscription, not posted"
    return said + "."


async def run_jobs(runtime: Any) -> str:
    """Both jobs on a board read now; a sentence for the demo."""
    desk = _desk(runtime)
    if desk is None:
        return "(this build of the bot has no assignment DMs or reminders)"
    dms = await desk.dms.poll_once(max_age=0)
    reminders = await desk.reminders.poll_once(max_age=0)
    breaches = await desk.breaches.poll_once(max_age=0)
    await desk.dms.drain()
    said = [
        f"{dms.sent} assignment DM(s) sent",
        f"{reminders.posted} reminder(s) posted"
        if reminders.subscriptions
        else "no channel subscribes to reminders (/mava subscribe reminders after 30m)",
    ]
    if reminders.summaries:  # a new subscription: its backlog in one post
        said.append(f"{reminders.baselined} ticket(s) waiting already, summed up in one post")
    if breaches.subscriptions:
        said.append(f"{breaches.posted} SLA warning(s) or breach(es) posted")
    if breaches.baselined:  # a new subscription: what is late already is not posted
        said.append(f"{breaches.baselined} SLA level(s) passed already, not posted")
    if dms.failed:
        said.append(f"{dms.failed} DM(s) Slack refused")
    return "The bot's desk jobs: " + "; ".join(said) + "."
