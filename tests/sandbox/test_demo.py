"""`mava-bot demo`: scripted runs end to end, piped stdin, and the Block Kit renderer."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, RenderableType
from rich.text import Text

from mava_sandbox.demo.cli import run_demo_cli
from mava_sandbox.demo.emoji import EMOJI
from mava_sandbox.demo.render import mrkdwn_to_text, render_blocks, render_modal, text_object
from mava_sandbox.demo.session import open_demo, run_demo, snapshot
from mava_sandbox.mava_server import MavaSandbox
from mava_sandbox.slack_stub import RESPONSE_URL

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = "C0SUPPORT"


def plain_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(
        file=out,
        width=100,
        force_terminal=False,
        color_system=None,
        highlight=False,
        emoji=False,
        markup=False,
    )
    return console, out


def rendered(renderable: RenderableType, width: int = 80) -> str:
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=False, color_system=None).print(renderable)
    return out.getvalue()


def messages(sandbox: MavaSandbox, ticket_id: str, kind: str) -> list[dict[str, Any]]:
    ticket = sandbox.get(ticket_id)
    assert ticket is not None
    return [
        m for m in ticket["messages"] if m["messageType"] == kind and m["senderType"] != "system"
    ]


# --- End to end ---------------------------------------------------------------------------


SCRIPT = """\
# A scripted demo: every line goes through the bot's signed request path.
/mava reply $T1 Thanks for waiting & sorry! We're on it. <3
/mava note $T1 Customer is on the Gold plan.
/mava resolve $T1
/mava show $T1

shortcut note
click Assign to me $HIGH
/mava assign $T2 @omar
quit
/mava resolve $T3
"""


def test_scripted_demo_changes_the_sandbox_and_shows_what_slack_would() -> None:
    console, out = plain_console()
    result = asyncio.run(run_demo(SCRIPT.splitlines(), console, seed=7, tickets=60))
    sandbox, samples = result.sandbox, result.samples
    t1, t3 = samples.open_tickets[0], samples.open_tickets[2]
    text = out.getvalue()

    # The reply went to the customer, the note stayed internal, the ticket is resolved.
    reply = messages(sandbox, t1, "ExternalMessage")[-1]
    assert reply["content"] == "Thanks for waiting & sorry! We're on it. <3"
    assert reply["senderType"] == "agent"
    note = messages(sandbox, t1, "InternalNote")[-1]
    assert note["content"] == "Note from Jane via Slack: Customer is on the Gold plan."
    t1_state = sandbox.get(t1)
    assert t1_state is not None and t1_state["status"] == "Resolved"

    # The shortcut's note landed on the ticket the sample message links to.
    [shortcut_note] = messages(sandbox, samples.noted_ticket, "InternalNote")[-1:]
    assert "refund still hasn't arrived" in shortcut_note["content"]
    assert "3rd & is pending" in shortcut_note["content"]
    assert "Originally posted by Sam" in shortcut_note["content"]

    # The button on the digest assigned the high-priority ticket to Jane's agent.
    high = sandbox.get(samples.high_unassigned)
    assert high is not None and high["assignedTo"] == sandbox.agent_id("jane@example.com")

    # `quit` stopped the script: the line after it never ran.
    t3_state = sandbox.get(t3)
    assert t3_state is not None and t3_state["status"] != "Resolved"
    t2_state = sandbox.get(samples.open_tickets[1])
    assert t2_state is not None and t2_state["assignedTo"] == sandbox.agent_id("omar@example.com")
    assert result.lines_run == 8

    # The digest was asked for first, in #support, and the bot answered it.
    answers = [c for c in result.slack.calls() if c.method in (RESPONSE_URL, "chat.postMessage")]
    assert answers, "the bot never answered /mava digest"
    assert text.index("mava> /mava digest") < text.index("mava> /mava reply")

    # What Slack would show, then what changed in Mava.
    assert f"Sent to the customer on ticket {t1}" in text
    assert "Private note added to ticket" in text
    assert f"Ticket {t1} is now Resolved" in text
    assert f"Ticket …{t1[-6:]}" in text  # the card /mava show draws
    assert "Only visible to you · #support" in text
    assert "Modal opened: Add as private note" in text
    assert "[ Add note ]" in text
    assert "What changed in Mava" in text
    assert "ExternalMessage (the customer sees it) by agent: Thanks for waiting & sorry!" in text
    assert "InternalNote (agents only)" in text
    assert "→ Resolved" in text
    assert "assignee: Unassigned → Jane Smith" in text
    # No library logging on screen.
    assert "INFO" not in text and "HTTP Request" not in text


def test_interactive_edit_replaces_a_value_and_enter_keeps_it() -> None:
    # "" = Enter: the value stays; anything typed replaces it (never appended to it).
    answers = iter(["e", "", "Edited in the demo", "y"])
    asked: list[tuple[str, str]] = []

    async def ask(question: str, *, default: str = "") -> str:
        asked.append((question, default))
        answer = next(answers)
        return answer or default

    async def scenario() -> tuple[MavaSandbox, str, str]:
        console, out = plain_console()
        async with open_demo(console, seed=3, tickets=20, ask=ask) as session:
            await session.run_line("shortcut note")
            return session.sandbox, session.samples.noted_ticket, out.getvalue()

    sandbox, ticket, text = asyncio.run(scenario())
    [note] = messages(sandbox, ticket, "InternalNote")[-1:]
    assert note["content"].startswith("Note from Jane via Slack: Edited in the demo")
    assert "refund" not in note["content"]  # the sample message's text was replaced
    assert asked[0][0].startswith("Add note? [Y/n/e=edit]")
    assert asked[1][0] == "Ticket (Enter keeps it; what you type replaces it): "
    assert f"Ticket now: {ticket}" in text  # the value Enter keeps is on screen
    assert len(asked) == 4


def test_piped_stdin_runs_every_line_and_exits_zero() -> None:
    stdin = io.StringIO(
        "/mava resolve $HIGH\n/mava priority $T2 low\nnot a command\n"
        "/mava identify jane@example.com plan=Gold\n"
    )
    stdout = io.StringIO()
    assert run_demo_cli(["--tickets", "20", "--seed", "5"], stdin=stdin, stdout=stdout) == 0
    text = stdout.getvalue()
    assert "mava> /mava resolve" in text and "is now Resolved" in text
    assert "now has Low priority" in text
    assert "I don't know 'not'" in text
    assert "attribute plan: – → Gold" in text  # customer attributes are part of the diff


def test_script_file_and_bad_arguments(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_demo_cli(["--script", str(tmp_path / "missing.txt")], stdout=out) == 2
    assert "cannot read" in out.getvalue()
    assert run_demo_cli(["--tickets", "-1"], stdout=io.StringIO()) == 2


def test_module_entry_point_reads_piped_stdin() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-m", "mava_sandbox.demo.cli", "--tickets", "10", "--no-color"],
        input="/mava show $T1\nhelp\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Sample tickets:" in done.stdout
    assert "[ Reply ]" in done.stdout
    assert "shortcut note [TEXT]" in done.stdout
    assert "\x1b[" not in done.stdout  # a pipe gets plain text


def test_legend_and_try_line_follow_the_opening_digest_and_end_help() -> None:
    console, out = plain_console()
    result = asyncio.run(run_demo(["help"], console, seed=7, tickets=60))
    opening, helped = out.getvalue().split("mava> help")

    # What follows the opening digest fits on a screen: every sample id and the Try line.
    after_digest = opening[opening.rindex("What changed in Mava") :]
    assert len(after_digest.splitlines()) <= 15, after_digest
    for name, ticket_id in result.samples.placeholders().items():
        assert f"{name}" in after_digest and ticket_id in after_digest
    assert "Try: /mava show $T1" in after_digest
    assert f"/mava show …{result.samples.high_unassigned[-6:]}" in " ".join(after_digest.split())

    # `help` shows them again, at its end, so they are on screen when it returns.
    end = "\n".join(helped.rstrip().splitlines()[-12:])
    assert "$HIGH" in end and result.samples.high_unassigned in end and "Try:" in end
    assert "shortcut note [TEXT]" in helped and "/mava subscribe digest" in helped

    # The digest's emoji codes are drawn as emoji.
    assert "🔴 High" in opening and "✅ Digest posted" in opening
    assert ":red_circle:" not in opening and ":white_check_mark:" not in opening


def test_short_ids_from_a_list_work_in_commands_and_clicks() -> None:
    async def scenario() -> tuple[MavaSandbox, list[str], str, str]:
        console, out = plain_console()
        async with open_demo(console, seed=7, tickets=60) as session:
            await session.start()  # the digest: Assign to me on every unassigned ticket
            mark = len(out.getvalue())
            await session.run_line("/mava tickets unassigned high")
            tails = re.findall(r"…([0-9a-f]{6}) ·", out.getvalue()[mark:])
            first, second, third = tails[:3]
            await session.run_line(f"/mava resolve …{first}")
            await session.run_line(f"/mava priority {second.upper()} low")  # no "…", any case
            await session.run_line(f"click Assign to me …{third}")
            before = snapshot(session.sandbox)
            mark = len(out.getvalue())
            await session.run_line("/mava resolve …ffffff")  # no ticket ends so
            assert snapshot(session.sandbox) == before
            unknown = out.getvalue()[mark:]
            # Subscriptions are listed as #N, and #N is what unsubscribe takes.
            await session.run_line("/mava subscribe alerts high")
            mark = len(out.getvalue())
            await session.run_line("/mava subscriptions")
            [number] = re.findall(r"• (#\d+) · alerts", out.getvalue()[mark:])
            await session.run_line(f"/mava unsubscribe {number}")
            assert f"Unsubscribed {number}." in out.getvalue()
            return session.sandbox, tails, out.getvalue(), unknown

    sandbox, tails, text, unknown = asyncio.run(scenario())
    by_tail = {t["_id"][-6:]: t for t in sandbox.tickets}
    assert by_tail[tails[0]]["status"] == "Resolved"
    assert by_tail[tails[1]]["priority"] == 1
    assert by_tail[tails[2]]["assignedTo"] == sandbox.agent_id("jane@example.com")
    assert f"(…{tails[0]} is ticket {by_tail[tails[0]]['_id']})" in text
    # The demo knows every ticket: a tail no id ends in is refused before the bot is asked.
    assert "No ticket's id ends in …ffffff. Nothing was sent." in unknown


STALE = """/mava show $T1
click Resolve $T1
click Resolve $T1
click Assign to me $HIGH
click Assign to me $HIGH
click Resolve abcdef
click Frobnicate
"""


def test_a_button_no_longer_on_screen_is_refused_at_once() -> None:
    console, out = plain_console()
    result = asyncio.run(run_demo(STALE.splitlines(), console, seed=7, tickets=60))
    text = out.getvalue()
    t1, high = result.samples.open_tickets[0], result.samples.high_unassigned

    # The card's Resolve was replaced by the bot's answer; the digest item was redrawn.
    assert (
        f"That [ Resolve ] button for ticket {t1} is no longer on screen: the bot has "
        "replaced that message since. Slack would not offer it, so nothing was sent."
    ) in " ".join(text.split())
    assert (
        f"That [ Assign to me ] button for ticket {high} is no longer on screen: the bot "
        "has updated that message since."
    ) in " ".join(text.split())
    # A ticket with no such button is not swapped for another ticket's button.
    assert "There is no [ Resolve ] button for ticket abcdef on screen; nothing was sent." in (
        " ".join(text.split())
    )
    assert "No button 'Frobnicate' on screen. Buttons:" in text
    assert "no answer" not in text

    # Only the two buttons on screen reached the bot: one resolve, one assignment.
    assert text.count("@Jane presses [") == 2
    ticket = result.sandbox.get(t1)
    assert ticket is not None and ticket["status"] == "Resolved"
    changes = [m for m in ticket["messages"] if "Resolved" in str(m.get("content"))]
    assert len(changes) == 1
    assigned = result.sandbox.get(high)
    assert assigned is not None
    assert assigned["assignedTo"] == result.sandbox.agent_id("jane@example.com")


def test_output_into_head_ends_quietly(tmp_path: Path) -> None:
    # head leaves after the banner's first lines, long before the digest is printed.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    line = (
        f"echo '/mava tickets' | {sys.executable} -m mava_bridge demo --tickets 20 2>err.txt"
        ' | head -n 3; echo "demo=${PIPESTATUS[1]}"'
    )
    done = subprocess.run(
        ["bash", "-c", line], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    shown = done.stdout.splitlines()
    assert shown[0].startswith("Mava ↔ Slack demo") and shown[3] == "demo=1"
    assert (tmp_path / "err.txt").read_text() == ""  # no BrokenPipeError traceback


# --- The renderer -------------------------------------------------------------------------

USERS = {"U0JANE": "Jane"}.get


def test_mrkdwn_styles_links_mentions_and_entities() -> None:
    text = mrkdwn_to_text(
        "*Ticket* _now_ ~old~ `id` <https://x.example/t?id=1|Open in Mava> <@U0JANE> "
        "<@U0NOBODY> a &lt; b &amp;&amp; c &gt; d :tada: <!here> <#C1|general>",
        USERS,
    )
    assert text.plain == (
        "Ticket now old id Open in Mava @Jane @U0NOBODY a < b && c > d 🎉 @here #general"
    )

    def style_of(word: str) -> str:
        start = text.plain.index(word)
        return " ".join(str(s.style) for s in text.spans if s.start <= start < s.end)

    assert "bold" in style_of("Ticket")
    assert "italic" in style_of("now")
    assert "strike" in style_of("old")
    assert "magenta" in style_of("id ")
    assert "underline" in style_of("Open in Mava")
    assert "cyan" in style_of("@Jane")
    assert mrkdwn_to_text("a*b*c snake_case_name").plain == "a*b*c snake_case_name"
    quoted = mrkdwn_to_text("> quoted &lt;3\nplain")
    assert quoted.plain == "▌ quoted <3\nplain"
    assert isinstance(mrkdwn_to_text("```x = *1*```"), Text)
    assert mrkdwn_to_text("```x = *1*```").plain == "x = *1*"


def test_render_blocks_handles_each_block_shape() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Mava digest"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*<https://m.example|Ticket …abc>* · Rosa"},
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Open"}},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Status*\nOpen"},
                {"type": "mrkdwn", "text": "*Priority*\nHigh"},
                {"type": "mrkdwn", "text": "*Assignee*\n<@U0JANE>"},
            ],
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "As of `10:00` UTC"}]},
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Reply"}},
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open in Mava"},
                    "url": "https://m.example",
                },
                {"type": "static_select", "placeholder": {"type": "plain_text", "text": "Pick"}},
            ],
        },
        {
            "type": "input",
            "block_id": "text",
            "label": {"type": "plain_text", "text": "Message to the customer"},
            "element": {"type": "plain_text_input", "initial_value": "Hi there"},
        },
        {"type": "image", "image_url": "https://i.example/x.png", "alt_text": "a chart"},
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "rich "},
                        {"type": "user", "user_id": "U0JANE"},
                    ],
                }
            ],
        },
        {"type": "video", "title": {"type": "plain_text", "text": "?"}},
        "not even a dict",
    ]
    text = rendered(render_blocks(blocks, users=USERS))
    for expected in (
        "Mava digest",
        "Ticket …abc · Rosa",
        "[ Open ]",
        "Status",
        "Open",
        "Priority",
        "High",
        "@Jane",
        "As of 10:00 UTC",
        "─────",
        "[ Reply ]  [ Open in Mava ↗ ]  [ Pick ▾ ]",
        "Message to the customer",
        "Hi there",
        "[image: a chart]",
        "rich @Jane",
        "[video block]",
        "[not a block]",
    ):
        assert expected in text, expected
    assert "*" not in text and "<https" not in text

    # Typed values replace initial ones, and inline errors show under their input.
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Reply to customer"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [blocks[6]],
    }
    modal = rendered(
        render_modal(view, values={"text": "Edited"}, errors={"text": "Too short."}), width=60
    )
    assert "Modal: Reply to customer" in modal
    assert "Edited" in modal and "Hi there" not in modal
    assert "Too short." in modal
    assert "[ Cancel ]  [ Send ]" in modal


@pytest.mark.parametrize("blocks", [None, [], [{}]])
def test_render_blocks_tolerates_empty_input(blocks: Any) -> None:
    assert isinstance(rendered(render_blocks(blocks)), str)


def test_emoji_codes_render_as_emoji_and_unknown_ones_stay() -> None:
    text = mrkdwn_to_text(":white_check_mark: Done :no_such_code: `:tada:` 10:00:01 *:lock:*")
    assert text.plain == "✅ Done :no_such_code: :tada: 10:00:01 🔒"  # code spans stay verbatim
    assert text_object({"type": "plain_text", "text": ":warning: hi"}).plain == "⚠ hi"
    # Customer text goes out with emoji off: Slack shows the code as typed.
    raw = {"type": "plain_text", "text": ":warning: hi", "emoji": False}
    assert text_object(raw).plain == ":warning: hi"
    rich = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "emoji", "name": "tada", "unicode": "1f389"},
                    {"type": "emoji", "name": "thumbsup"},
                    {"type": "emoji", "name": "partyparrot"},
                    {"type": "emoji", "name": "broken", "unicode": "zz"},
                ],
            }
        ],
    }
    assert rendered(render_blocks([rich])).strip() == "🎉👍:partyparrot::broken:"


def test_every_emoji_code_the_bot_sends_is_drawn() -> None:
    used: set[str] = set()
    for folder in ("slack", "digest", "services"):
        for path in (ROOT / "src" / "mava_bridge" / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            used.update(re.findall(r"(?<![\w:/]):([a-z][a-z0-9_+-]*):(?![\w:/])", source))
    assert {"white_check_mark", "warning", "red_circle"} <= used  # the scan finds them
    assert used - set(EMOJI) == set()


def test_one_short_id_form_everywhere_and_every_copied_form_works() -> None:
    async def scenario() -> tuple[MavaSandbox, str, str, str]:
        console, out = plain_console()
        async with open_demo(console, seed=7, tickets=60) as session:
            await session.start()
            opening = out.getvalue()
            await session.run_line("home")
            home = out.getvalue()[len(opening) :]
            tail = re.findall(r"…([0-9a-f]{6})", home)[0]
            mark = len(out.getvalue())
            await session.run_line(f"/mava show #{tail}")  # as Home once showed it
            await session.run_line(f"click Resolve #{tail}")
            return session.sandbox, opening, home, out.getvalue()[mark:]

    sandbox, opening, home, after = asyncio.run(scenario())
    by_tail = {t["_id"][-6:]: t for t in sandbox.tickets}
    # Digest items and Home show the same form as lists: …562460, never #562460.
    unassigned = [t for t in sandbox.tickets if t["assignedTo"] is None]
    digest = opening[: opening.index("Sample tickets:")]
    shown_in_digest = re.findall(r"…([0-9a-f]{6})", digest)
    assert shown_in_digest and set(shown_in_digest) <= {t["_id"][-6:] for t in unassigned}
    assert not re.search(r"#[0-9a-f]{6}\b", digest + home)
    tail = re.findall(r"…([0-9a-f]{6})", home)[0]
    ticket = by_tail[tail]
    assert f"(#{tail} is ticket {ticket['_id']})" in after
    assert f"Ticket …{tail}" in after  # the card /mava show drew
    assert ticket["status"] == "Resolved"  # the click found the button by #tail


def test_shortcut_reply_runs_on_words_meant_for_the_customer() -> None:
    console, out = plain_console()
    result = asyncio.run(run_demo(["shortcut reply"], console, seed=7, tickets=40))
    ticket = result.samples.noted_ticket
    [reply] = [
        m for m in messages(result.sandbox, ticket, "ExternalMessage") if m["senderType"] == "agent"
    ][-1:]
    # Sam's draft, not Sam's question to colleagues about the customer.
    assert reply["content"].startswith("Hi! Your refund was issued on the 3rd")
    assert "reply here & we'll chase it" in reply["content"]
    assert "The customer on" not in reply["content"]
    text = " ".join(out.getvalue().split())
    assert "Sam's draft for the customer: what shortcut reply acts on" in text
    assert "“Reply to customer” on @Sam's draft for the customer" in text
