"""Escaping, truncation and ages: untrusted text stays inert and within Slack limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mava_bridge.slack import text as t

# Text that is nasty for mrkdwn: Slack control characters and entity fragments.
nasty = st.text(
    alphabet=st.sampled_from(list("&<>;!@#|*_~`\n amp;lt;gt;xé😀")) | st.characters(),
    max_size=400,
)
ENTITY = re.compile(r"&(amp|lt|gt);")


def no_broken_entity(escaped: str) -> bool:
    """Every `&` in escaped text starts a whole entity."""
    return all(ENTITY.match(escaped, m.start()) for m in re.finditer("&", escaped))


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here|here>", "&lt;!here|here&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<http://evil.example|your bank>", "&lt;http://evil.example|your bank&gt;"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("&amp;", "&amp;amp;"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
        ("*bold* _it_ ~s~ `code`", "*bold* _it_ ~s~ `code`"),  # not escapable: kept
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert t.escape(raw) == escaped
    assert t.unescape(t.escape(raw)) == raw


def test_truncate() -> None:
    assert t.truncate("hello", 5) == "hello"
    assert t.truncate("hello world", 6) == "hello…"
    assert len(t.truncate("x" * 100, 10)) == 10
    assert t.truncate("abc", 0) == ""


def test_escape_and_truncate_never_splits_an_entity() -> None:
    # "a&" escapes to "a&amp;" (6); a cut at 4 would leave "a&am".
    assert t.escape_and_truncate("a&bc", 4) == "a…"
    assert t.escape_and_truncate("<<<<", 9) == "&lt;&lt;…"
    assert t.escape_and_truncate("<<", 8) == "&lt;&lt;"


@given(nasty, st.integers(min_value=0, max_value=300))
def test_escape_and_truncate_is_safe(raw: str, limit: int) -> None:
    out = t.escape_and_truncate(raw, limit)
    assert len(out) <= limit
    assert "<" not in out and ">" not in out
    assert no_broken_entity(out)
    if len(t.escape(raw)) <= limit:
        assert out == t.escape(raw)


@given(nasty, st.integers(min_value=0, max_value=300), st.none() | st.integers(1, 5))
def test_quote_is_safe(raw: str, limit: int, max_lines: int | None) -> None:
    out = t.quote(raw, limit, max_lines=max_lines)
    assert len(out) <= limit
    assert "<" not in out
    assert no_broken_entity(out)
    for line in out.split("\n") if out else []:
        assert line.startswith(">") or line == t.ELLIPSIS


def test_quote_marks_every_line() -> None:
    assert t.quote("one\ntwo <@U1>", 100) == "> one\n> two &lt;@U1&gt;"
    assert t.quote("a\nb\nc", 100, max_lines=2) == "> a\n> b…"
    assert t.quote("x" * 50, 10) == "> xxxxxxx…"


@given(nasty, st.integers(min_value=1, max_value=200))
def test_plain_is_never_empty_and_within_limit(raw: str, limit: int) -> None:
    out = t.plain(raw, limit)
    assert 0 < len(out) <= limit


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=-30), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=5), "5 m"),
        (timedelta(hours=3, minutes=59), "3 h 59 m"),
        (timedelta(days=2, hours=5, minutes=30), "2 d 5 h"),
        (timedelta(days=36), "5 w"),
        (timedelta(hours=2230, minutes=54), "13 w"),
    ],
)
def test_age(delta: timedelta, expected: str) -> None:
    now = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
    assert t.age(now - delta, now) == expected


def test_age_tolerates_naive_times() -> None:
    now = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
    assert t.age(datetime(2026, 3, 16, 11, 0), now) == "1 h"


def test_mention_and_link() -> None:
    assert t.mention("U0123ABC") == "<@U0123ABC>"
    assert t.mention("<!channel>") == "&lt;!channel&gt;"
    assert t.link("https://x.io/a?b=1&c=2", "<b>") == "<https://x.io/a?b=1&amp;c=2|&lt;b&gt;>"
    assert t.link("https://x.io/|>", "x") == "<https://x.io/%7C&gt;|x>"


@pytest.mark.parametrize(
    ("slack", "plain"),
    [
        ("hi <@U1|bob> and <@U2>", "hi @bob and @U2"),
        ("<!here> <!channel>", "@here @channel"),
        ("mail <mailto:a@b.com|a@b.com>", "mail a@b.com"),
        ("see <https://x.io|x.io>", "see https://x.io"),
        ("see <https://x.io/docs|the docs>", "see the docs (https://x.io/docs)"),
        ("in <#C1|general>", "in #general"),
        ("a &lt; b &amp;&amp; c &gt; d", "a < b && c > d"),
        ("&amp;lt;", "&lt;"),  # decoded once only
    ],
)
def test_slack_to_plain(slack: str, plain: str) -> None:
    assert t.slack_to_plain(slack) == plain
