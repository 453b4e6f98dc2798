"""`mava-bot demo`: scripted runs end to end, piped stdin, and the Block Kit renderer."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, RenderableType
from rich.text import Text

from bot.demo.cli import run_demo_cli
from bot.demo.render import mrkdwn_to_text, render_blocks, render_modal
from bot.demo.session import open_demo, run_demo
from bot.sandbox.mava_server import MavaSandbox
from bot.sandbox.slack_stub import RESPONSE_URL

ROOT = Path(__file__).resolve().parents[1]
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


def test_interactive_answers_edit_the_shortcut_note() -> None:
    # None = accept the prefilled line as is (what Enter does with readline).
    answers = iter(["e", None, "Edited in the demo", "y"])
    asked: list[tuple[str, str, bool]] = []

    async def ask(question: str, *, default: str = "", prefill: bool = False) -> str:
        asked.append((question, default, prefill))
        answer = next(answers)
        return default if answer is None else answer

    async def scenario() -> tuple[MavaSandbox, str]:
        console, _ = plain_console()
        async with open_demo(console, seed=3, tickets=20, ask=ask) as session:
            await session.run_line("shortcut note")
            return session.sandbox, session.samples.noted_ticket

    sandbox, ticket = asyncio.run(scenario())
    [note] = messages(sandbox, ticket, "InternalNote")[-1:]
    assert note["content"].startswith("Note from Jane via Slack: Edited in the demo")
    assert asked[0][0].startswith("Add note? [Y/n/e=edit]")
    assert asked[1] == ("Ticket: ", ticket, True)  # inputs are offered prefilled to edit
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
        [sys.executable, "-m", "bot.demo.cli", "--tickets", "10", "--no-color"],
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


# --- The renderer -------------------------------------------------------------------------

USERS = {"U0JANE": "Jane"}.get


def test_mrkdwn_styles_links_mentions_and_entities() -> None:
    text = mrkdwn_to_text(
        "*Ticket* _now_ ~old~ `id` <https://x.example/t?id=1|Open in Mava> <@U0JANE> "
        "<@U0NOBODY> a &lt; b &amp;&amp; c &gt; d :tada: <!here> <#C1|general>",
        USERS,
    )
    assert text.plain == (
        "Ticket now old id Open in Mava @Jane @U0NOBODY a < b && c > d :tada: @here #general"
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
