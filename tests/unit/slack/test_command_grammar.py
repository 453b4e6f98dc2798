"""The `/mava` grammar: every subcommand's good and bad forms, and no input ever raises."""

from __future__ import annotations

import pytest
from apscheduler.triggers.cron import CronTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from mava_bridge.domain.filters import Filters
from mava_bridge.domain.schedule import Schedule
from mava_bridge.mava.models import Origin, Priority, Status
from mava_bridge.slack.command.grammar import parse
from mava_bridge.slack.command.help import HELP_ENTRIES, SUBCOMMANDS, USAGE
from mava_bridge.slack.command.model import (
    Assign,
    AssignMe,
    AssignUser,
    DigestNow,
    Help,
    Identify,
    ListCategories,
    ListSubscriptions,
    ListTickets,
    Note,
    Reply,
    SetCategory,
    SetPriority,
    SetStatus,
    Show,
    SubscribeAlerts,
    SubscribeDigest,
    Unassign,
    Unsubscribe,
    Usage,
)

ID = "6650a1b2c3d4e5f678901234"
LINK = f"https://dashboard.mava.app/dashboard/ticket?id={ID}"
WEEKDAYS = Schedule("weekdays", "0 9 * * mon-fri")
DIGEST_DEFAULT = Filters(unassigned_only=True)

GOOD = [
    ("", Help()),
    ("   ", Help()),
    ("help", Help()),
    ("HELP me", Help()),
    # reply / note: text keeps its inner spacing; Slack escaping is undone once
    (f"reply {ID} Thanks!", Reply(ID, "Thanks!")),
    (f"Reply {ID.upper()}   line one\n  line two  ", Reply(ID, "line one\n  line two")),
    (f"reply {ID}", Reply(ID, None)),
    (f"reply {ID}   ", Reply(ID, None)),
    (f"reply {LINK} hi", Reply(ID, "hi")),
    (f"reply <{LINK}> hi", Reply(ID, "hi")),
    (f"reply <{LINK}|Ticket from Bob Smith> hi", Reply(ID, "hi")),
    (
        f"reply <https://dashboard.mava.app/t?tab=2&amp;id={ID}> hi",
        Reply(ID, "hi"),
    ),
    (f"reply {ID} a &lt;b&gt; &amp; <@U1|ann>", Reply(ID, "a <b> & @ann")),
    (f"note {ID} VIP customer", Note(ID, "VIP customer")),
    (f"note {ID}", Note(ID, None)),
    # status and its shortcuts
    (f"status {ID} open", SetStatus(ID, Status.OPEN)),
    (f"status {ID} PENDING", SetStatus(ID, Status.PENDING)),
    (f"status {ID} waiting", SetStatus(ID, Status.WAITING)),
    (f"status {ID} resolved", SetStatus(ID, Status.RESOLVED)),
    (f"resolve {ID}", SetStatus(ID, Status.RESOLVED)),
    (f"close {LINK}", SetStatus(ID, Status.RESOLVED)),
    (f"reopen {ID}", SetStatus(ID, Status.OPEN)),
    # priority
    (f"priority {ID} low", SetPriority(ID, Priority.LOW)),
    (f"priority {ID} Medium", SetPriority(ID, Priority.MEDIUM)),
    (f"priority {ID} 3", SetPriority(ID, Priority.HIGH)),
    # category
    (f"category {ID} Billing", SetCategory(ID, "Billing")),
    (f"category {ID} Billing issues", SetCategory(ID, "Billing issues")),
    (f'category {ID} "Billing issues"', SetCategory(ID, "Billing issues")),
    (f"category {ID} “R&amp;D”", SetCategory(ID, "R&D")),
    (f"category {ID} Customer's bug", SetCategory(ID, "Customer's bug")),
    ("categories", ListCategories()),
    # assign
    (f"assign {ID} me", Assign(ID, AssignMe())),
    (f"assign {ID} none", Assign(ID, Unassign())),
    (f"assign {ID} nobody", Assign(ID, Unassign())),
    (f"assign {ID} unassign", Assign(ID, Unassign())),
    (f"assign {ID} <@U123ABC>", Assign(ID, AssignUser("U123ABC"))),
    (f"assign {ID} <@U123ABC|ann.lee>", Assign(ID, AssignUser("U123ABC"))),
    (f"assign {ID} <@W9|Ann Lee>", Assign(ID, AssignUser("W9"))),
    # show
    (f"show {ID}", Show(ID)),
    (f"show <{LINK}|link>", Show(ID)),
    # tickets
    ("tickets", ListTickets()),
    (
        "tickets high Discord open unassigned pending email",
        ListTickets(
            (Status.OPEN, Status.PENDING),
            "unassigned",
            (Origin.DISCORD, Origin.EMAIL),
            True,
        ),
    ),
    ("tickets mine telegram-group", ListTickets((), "mine", (Origin.TELEGRAM_GROUP,))),
    ("tickets open open", ListTickets((Status.OPEN,))),
    # identify
    (
        'identify jane@example.com plan="Gold plus" company=Acme',
        Identify("jane@example.com", (("plan", "Gold plus"), ("company", "Acme"))),
    ),
    (
        "identify <mailto:jane@example.com|jane@example.com> tier='x y'",
        Identify("jane@example.com", (("tier", "x y"),)),
    ),
    ("identify a@b.co note=", Identify("a@b.co", (("note", ""),))),
    ("identify a@b.co url=a=b", Identify("a@b.co", (("url", "a=b"),))),
    # subscriptions
    ("subscribe digest", SubscribeDigest(WEEKDAYS, DIGEST_DEFAULT)),
    (
        "subscribe digest daily 09:30",
        SubscribeDigest(Schedule("daily", "30 9 * * *"), DIGEST_DEFAULT),
    ),
    (
        "subscribe digest weekdays at 7:05 all high",
        SubscribeDigest(
            Schedule("weekdays", "5 7 * * mon-fri"), Filters(min_priority=Priority.HIGH)
        ),
    ),
    (
        'subscribe digest cron "30 9 * * 1-5" discord email',
        SubscribeDigest(
            Schedule("cron", "30 9 * * mon-fri"),
            Filters(unassigned_only=True, origins=(Origin.DISCORD, Origin.EMAIL)),
        ),
    ),
    (
        "subscribe digest cron */15 8-18 * * 0,6",
        SubscribeDigest(Schedule("cron", "*/15 8-18 * * sat,sun"), DIGEST_DEFAULT),
    ),
    (
        'subscribe digest category "VIP support" origin telegram',
        SubscribeDigest(
            WEEKDAYS,
            Filters(
                unassigned_only=True,
                origins=(Origin.TELEGRAM,),
                categories=("VIP support",),
            ),
        ),
    ),
    ("subscribe alerts", SubscribeAlerts(Filters(min_priority=Priority.HIGH))),
    ("subscribe alerts unassigned", SubscribeAlerts(Filters(unassigned_only=True))),
    (
        "subscribe alerts high unassigned",
        SubscribeAlerts(Filters(min_priority=Priority.HIGH, unassigned_only=True)),
    ),
    (
        "subscribe alerts medium origin discord telegram category Billing",
        SubscribeAlerts(
            Filters(
                min_priority=Priority.MEDIUM,
                origins=(Origin.DISCORD, Origin.TELEGRAM),
                categories=("Billing",),
            )
        ),
    ),
    ("subscribe alerts email", SubscribeAlerts(Filters(Priority.HIGH, origins=(Origin.EMAIL,)))),
    ("subscriptions", ListSubscriptions()),
    ("unsubscribe 7", Unsubscribe(7)),
    ("unsubscribe #12", Unsubscribe(12)),
    ("digest", DigestNow()),
]


@pytest.mark.parametrize(("text", "expected"), GOOD, ids=[g[0][:50] for g in GOOD])
def test_parses(text: str, expected: object) -> None:
    assert parse(text) == expected


BAD = [
    # (text, subcommand, words the message must contain)
    ("frobnicate", None, ["frobnicate", "reply", "subscribe"]),
    ("reply", "reply", ["Which ticket", "Usage: `/mava reply", "Example:"]),
    ("reply 12345 hi", "reply", ["'12345' is not a Mava ticket id"]),
    ("reply http://[broken hi", "reply", ["is not a Mava ticket id"]),
    ("note https://dashboard.mava.app/x?id=nope", "note", ["is not a Mava ticket id"]),
    (f"status {ID}", "status", ["Which status"]),
    (f"status {ID} closed", "status", ["'closed' is not a status"]),
    (f"status {ID} open now", "status", ["did not expect 'now'"]),
    (f"resolve {ID} please", "resolve", ["did not expect"]),
    (f"close {ID} please", "resolve", ["did not expect"]),
    (f"priority {ID} urgent", "priority", ["'urgent' is not a priority"]),
    (f"priority {ID}", "priority", ["Which priority"]),
    (f"category {ID}", "category", ["Which category"]),
    (f'category {ID} ""', "category", ["Which category"]),
    ("categories all", "categories", ["did not expect 'all'"]),
    (f"assign {ID}", "assign", ["Assign to whom"]),
    (f"assign {ID} @ann", "assign", ["autocomplete"]),
    (f"assign {ID} ann", "assign", ["'ann' is not a user"]),
    (f"assign {ID} me now", "assign", ["did not expect"]),
    ("show", "show", ["Which ticket"]),
    (f"show {ID} {ID}", "show", ["did not expect"]),
    ("tickets urgent", "tickets", ["'urgent'"]),
    ("tickets mine unassigned", "tickets", ["not both"]),
    ("identify", "identify", ["email"]),
    ("identify jane plan=gold", "identify", ["does not look like an email"]),
    ("identify jane@example.com", "identify", ["at least one attribute"]),
    ("identify jane@example.com plan", "identify", ["'plan' is not label=value"]),
    ("identify jane@example.com =x", "identify", ["is not label=value"]),
    ('identify jane@example.com plan="Gold', "identify", ["quote is not closed"]),
    ("identify jane@example.com name=O'Brien", "identify", ["quote is not closed"]),
    ("identify jane@example.com a=1 A=2", "identify", ["given twice"]),
    ("subscribe", "subscribe", ["Subscribe to what", "subscribe digest", "subscribe alerts"]),
    ("subscribe news", "subscribe", ["not 'news'"]),
    ('subscribe digest "daily', "subscribe", ["quote is not closed"]),
    ("subscribe digest daily 25:00", "subscribe digest", ["'25:00' is not a time"]),
    ("subscribe digest daily 9.30", "subscribe digest", ["'9.30' is not a time"]),
    ("subscribe digest daily 09:00 weekdays", "subscribe digest", ["one schedule"]),
    ('subscribe digest cron "30 9 * *"', "subscribe digest", ["5 fields", "has 4"]),
    ('subscribe digest cron "61 9 * * *"', "subscribe digest", ["between 0 and 59"]),
    ('subscribe digest cron "0 9 * * 5-1"', "subscribe digest", ["backwards"]),
    ('subscribe digest cron "0 9 * * */0"', "subscribe digest", ["at least 1"]),
    ('subscribe digest cron "0 9 * * L"', "subscribe digest", ["'l' is not valid"]),
    ('subscribe digest cron "0 9 * 3/10 *"', "subscribe digest", ["larger than its range"]),
    ('subscribe digest cron "0 */24 * * *"', "subscribe digest", ["larger than its range"]),
    ('subscribe digest cron "0 9 1 * mon"', "subscribe digest", ["not both"]),
    ("subscribe digest all unassigned", "subscribe digest", ["not both"]),
    ("subscribe digest high medium", "subscribe digest", ["one priority"]),
    ("subscribe digest category", "subscribe digest", ["Name the category"]),
    ("subscribe digest origin", "subscribe digest", ["Name an origin"]),
    (
        "subscribe alerts origin slack",
        "subscribe alerts",
        ["one of web, discord, telegram, telegram-group, email."],
    ),
    ("subscribe alerts all", "subscribe alerts", ["'all'"]),
    ("subscribe alerts daily 09:00", "subscribe alerts", ["'daily'"]),
    ("subscribe alerts category VIP support", "subscribe alerts", ["'support'", "Quote"]),
    ("unsubscribe", "unsubscribe", ["Which subscription"]),
    ("unsubscribe 0", "unsubscribe", ["'0' is not a subscription id"]),
    ("unsubscribe -3", "unsubscribe", ["not a subscription id"]),
    ("unsubscribe ٣", "unsubscribe", ["not a subscription id"]),
    ("unsubscribe 3 4", "unsubscribe", ["did not expect"]),
    ("digest now", "digest", ["did not expect"]),
    ("subscriptions x", "subscriptions", ["did not expect"]),
]


@pytest.mark.parametrize(("text", "subcommand", "words"), BAD, ids=[b[0][:50] for b in BAD])
def test_usage(text: str, subcommand: str | None, words: list[str]) -> None:
    result = parse(text)
    assert isinstance(result, Usage), result
    assert result.subcommand == subcommand
    for word in words:
        assert word in result.message


def test_usage_shows_the_subcommand_line_and_example() -> None:
    result = parse(f"priority {ID} urgent")
    assert isinstance(result, Usage)
    problem, usage, example = result.message.split("\n")
    assert problem == "'urgent' is not a priority."
    assert usage == "Usage: `/mava priority TICKET low|medium|high`"
    assert example.startswith("Example: `/mava priority ")


def test_usage_echo_cannot_break_out_of_code() -> None:
    result = parse(f"status {ID} `x`" + "y" * 100)
    assert isinstance(result, Usage)
    problem = result.message.split("\n")[0]
    assert "`" not in problem and len(problem) < 100


def test_usage_table_covers_every_subcommand() -> None:
    names = {entry.name.split()[0] for entry in HELP_ENTRIES}
    assert names == set(SUBCOMMANDS) - {"close"}
    for line in USAGE.values():
        assert line.startswith("`/mava ") and "Example: `/mava" in line


def test_listing_and_stopping_help_names_every_kind_a_channel_subscribes_to() -> None:
    """`/mava subscriptions` lists and `/mava unsubscribe` stops reminders too: the help
    of both names each kind `/mava subscribe` offers."""
    kinds = [e.name.split()[1] for e in HELP_ENTRIES if e.name.startswith("subscribe ")]
    assert kinds == ["digest", "alerts", "reminders", "breaches", "ratings", "report"]
    for name in ("subscriptions", "unsubscribe"):
        (entry,) = [e for e in HELP_ENTRIES if e.name == name]
        for kind in kinds:
            assert kind.rstrip("s") in entry.summary, (name, kind)
        assert entry.summary in USAGE[name]  # the line /mava help and usage hints show


# --- Nothing raises ---------------------------------------------------------------

slackish = st.text(
    alphabet=st.sampled_from(list(" \n\t<>|@!#&;:=\"'“”`*/-,0123456789abcdefhilmnoprstuwxyAU"))
    | st.characters(),
    max_size=120,
)
prefixes = st.sampled_from(
    [
        *SUBCOMMANDS,
        f"reply {ID}",
        f"status {ID}",
        f"priority {ID}",
        f"assign {ID}",
        f"category {ID}",
        "subscribe digest",
        "subscribe alerts",
        "subscribe digest cron",
        "subscribe digest daily",
        "identify a@b.co",
        f"show <{LINK}",
    ]
)


@settings(max_examples=400)
@given(slackish)
def test_any_text_parses(text: str) -> None:
    result = parse(text)
    assert result is not None


@settings(max_examples=1500)
@given(prefixes, slackish)
def test_any_text_after_a_subcommand_parses(prefix: str, text: str) -> None:
    result = parse(f"{prefix} {text}")
    if isinstance(result, Usage):
        assert result.message
    if isinstance(result, SubscribeDigest):
        CronTrigger.from_crontab(result.schedule.cron)  # what we accept, the scheduler does


def test_report_ratings_and_scheduled_report_words() -> None:
    from mava_bridge.slack.command.model import ReportNow, SubscribeRatings, SubscribeReport

    assert parse("report") == ReportNow(7)
    assert parse("report 30d") == ReportNow(30)
    assert isinstance(parse("report 90d"), Usage)
    assert parse("subscribe ratings") == SubscribeRatings((1, 2))
    assert parse("subscribe ratings 3 1 3") == SubscribeRatings((1, 3))
    assert isinstance(parse("subscribe ratings 6"), Usage)
    weekly = parse("subscribe report weekly 08:30")
    assert isinstance(weekly, SubscribeReport) and weekly.days == 7
    assert weekly.schedule.cron == "30 8 * * mon"
    daily = parse("subscribe report daily")
    assert isinstance(daily, SubscribeReport) and (daily.days, daily.schedule.cron) == (
        1,
        "0 9 * * *",
    )
    assert isinstance(parse("subscribe report monthly"), Usage)
