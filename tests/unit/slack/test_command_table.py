"""Every command the `/mava` grammar makes has exactly one handler in the table."""

from __future__ import annotations

from typing import get_args

from mava_bridge.slack.command import model as cmd
from mava_bridge.slack.command.grammar import parse
from mava_bridge.slack.listeners.command_table import CHECKED, UNCHECKED, _unchecked


def test_every_command_class_has_one_handler() -> None:
    classes = {*get_args(cmd.Command), cmd.Usage}
    handled = set(UNCHECKED) | set(CHECKED)
    assert classes - handled == set()
    assert handled - classes == set()
    # Reply and Note are in CHECKED (with text) and open the editor unchecked without.
    assert set(UNCHECKED) & set(CHECKED) == set()


def test_answered_before_the_access_check() -> None:
    # Help, usage, the channel's subscriptions and what opens a modal need no access.
    early = {
        "help": cmd.Help,
        "bogus": cmd.Usage,
        "subscriptions": cmd.ListSubscriptions,
        "create": cmd.Create,
        "reply 66b0c0ffee00c0ffee000001": cmd.Reply,
    }
    for text, kind in early.items():
        command = parse(text)
        assert type(command) is kind, text
        assert _unchecked(command) is not None, text
    # Everything else, and a reply with its text, goes through `admit` first.
    for text in ("reply 66b0c0ffee00c0ffee000001 hello", "show 66b0c0ffee00c0ffee000001"):
        command = parse(text)
        assert _unchecked(command) is None, text
        assert type(command) in CHECKED
