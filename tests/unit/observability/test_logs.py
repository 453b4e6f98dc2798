"""Logs are one JSON object per line (or key=value on a terminal) and never hold a secret."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from mava_bridge.observability import logs
from mava_bridge.observability.logs import (
    QUIET_LOGGERS,
    configure_logging,
    redact,
)
from mava_bridge.settings import Settings, database_password

BOT_TOKEN = "xoxb-1111-2222-AbCdEfGhIjKl"
SIGNING = "8f14e45fceea167a5a36dedd4bea2543"
MAVA_KEY = "mava-key-5d41402abc4b2a76"
DB_PASSWORD = "pg-pass-w0rd"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Logging is process-wide: leave it as we found it for the other tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old in quiet.items():
        logging.getLogger(name).setLevel(old)
    logging.captureWarnings(False)
    logs._redactor.clear()


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines(stream)]


def json_logs(**options: Any) -> io.StringIO:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream, **options)
    return stream


# --- shape ----------------------------------------------------------------------------


def test_json_line_has_core_fields_and_every_extra_field() -> None:
    stream = json_logs()
    logging.getLogger("mava_bridge.test").info(
        "posted %d items", 3, extra={"channel": "C1", "items": [1, 2], "ok": True}
    )

    (record,) = records(stream)
    assert record == {
        "time": record["time"],
        "level": "INFO",
        "logger": "mava_bridge.test",
        "message": "posted 3 items",
        "channel": "C1",
        "items": [1, 2],
        "ok": True,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"])


def test_json_is_one_object_per_line_even_for_multiline_messages_and_tracebacks() -> None:
    stream = json_logs()
    log = logging.getLogger("mava_bridge.test")
    log.warning("first\nsecond")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed", extra={"ticket": "t-1"})

    first, second = records(stream)
    assert first["message"] == "first\nsecond"
    assert second["level"] == "ERROR"
    assert second["ticket"] == "t-1"
    assert "ValueError: boom" in second["exception"]
    assert "Traceback" in second["exception"]


def test_extra_fields_that_clash_with_core_keys_keep_both() -> None:
    stream = json_logs()
    logging.getLogger("mava_bridge.test").info("hi", extra={"time": "later", "level": 3})
    (record,) = records(stream)
    assert record["level"] == "INFO"
    assert record["extra_time"] == "later"
    assert record["extra_level"] == 3


def test_unserialisable_extra_values_become_text() -> None:
    class Thing:
        def __str__(self) -> str:
            return "a thing"

    stream = json_logs()
    logging.getLogger("mava_bridge.test").info("hi", extra={"thing": Thing()})
    assert records(stream)[0]["thing"] == "a thing"


def test_terminal_gets_readable_key_value_lines() -> None:
    terminal = Terminal()
    configure_logging("INFO", stream=terminal)
    logging.getLogger("mava_bridge.test").info(
        "posted", extra={"channel": "C1", "text": "two words"}
    )

    (line,) = lines(terminal)
    assert not line.startswith("{")
    assert re.match(r"\d\d:\d\d:\d\d ", line)
    assert "INFO" in line
    assert "mava_bridge.test posted" in line
    assert line.endswith('channel=C1 text="two words"')


def test_json_flag_overrides_the_terminal_check() -> None:
    terminal = Terminal()
    configure_logging("INFO", json=True, stream=terminal)
    logging.getLogger("mava_bridge.test").info("hi")
    assert records(terminal)[0]["message"] == "hi"

    plain = io.StringIO()
    configure_logging("INFO", json=False, stream=plain)
    logging.getLogger("mava_bridge.test").info("hi")
    (line,) = lines(plain)
    assert not line.startswith("{")
    assert "\x1b[" not in line  # colours only on a real terminal


def test_level_applies_and_noisy_libraries_are_quiet() -> None:
    stream = json_logs()
    logging.getLogger("mava_bridge.test").debug("hidden")
    logging.getLogger("httpx").info("HTTP Request: GET https://gateway.mava.app/api/tickets")
    logging.getLogger("httpx").warning("kept")
    assert [r["message"] for r in records(stream)] == ["kept"]
    assert logging.getLogger("httpcore").level == logging.WARNING


def test_reconfiguring_replaces_our_handler_only() -> None:
    other = logging.NullHandler()
    logging.getLogger().addHandler(other)
    first = json_logs()
    second = json_logs()
    logging.getLogger("mava_bridge.test").info("once")
    assert lines(first) == []
    assert len(lines(second)) == 1
    assert other in logging.getLogger().handlers
    logging.getLogger().removeHandler(other)


# --- redaction ------------------------------------------------------------------------


def test_registered_secrets_are_redacted_in_message_args_and_extra() -> None:
    stream = json_logs(secrets=[SIGNING, MAVA_KEY])
    log = logging.getLogger("mava_bridge.test")
    log.info(f"signing secret is {SIGNING}")
    log.info("key %s and %r", MAVA_KEY, {"nested": MAVA_KEY})
    log.info("extra", extra={"key": MAVA_KEY, "deep": {"list": [f"x{SIGNING}y"]}})

    text = stream.getvalue()
    assert SIGNING not in text
    assert MAVA_KEY not in text
    first, second, third = records(stream)
    assert first["message"] == "signing secret is [redacted]"
    assert second["message"] == "key [redacted] and {'nested': '[redacted]'}"
    assert third["key"] == "[redacted]"
    assert third["deep"] == {"list": ["x[redacted]y"]}


def test_exception_text_is_redacted() -> None:
    stream = json_logs(secrets=[DB_PASSWORD])
    try:
        raise RuntimeError(f"could not connect with {DB_PASSWORD} using {BOT_TOKEN}")
    except RuntimeError:
        logging.getLogger("mava_bridge.test").exception("database down")

    (record,) = records(stream)
    assert DB_PASSWORD not in stream.getvalue()
    assert BOT_TOKEN not in stream.getvalue()
    assert "could not connect with [redacted] using [redacted]" in record["exception"]


def test_exception_text_is_redacted_on_the_terminal_as_well() -> None:
    terminal = Terminal()
    configure_logging("INFO", stream=terminal, secrets=[SIGNING])
    try:
        raise RuntimeError(SIGNING)
    except RuntimeError:
        logging.getLogger("mava_bridge.test").exception("failed", extra={"secret": SIGNING})
    assert SIGNING not in terminal.getvalue()
    assert "RuntimeError: [redacted]" in terminal.getvalue()


@pytest.mark.parametrize(
    "leak",
    [
        "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        "xoxp-123-456-789-abcdef",
        "xoxa-2-abc",
        "xoxr-refresh-token-1",
        "xoxs-session-42",
        "xapp-1-A0123ABC-4567-deadbeef",
    ],
)
def test_slack_token_shapes_are_redacted_without_registration(leak: str) -> None:
    stream = json_logs()
    logging.getLogger("mava_bridge.test").warning("token %s leaked", leak, extra={"header": leak})
    (record,) = records(stream)
    assert leak not in stream.getvalue()
    assert record["message"] == "token [redacted] leaked"
    assert record["header"] == "[redacted]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x-auth-token: abc123def", "x-auth-token: [redacted]"),
        ("{'x-auth-token': 'abc123def'}", "{'x-auth-token': '[redacted]'}"),
        ('{"X-Auth-Token": "abc123def"}', '{"X-Auth-Token": "[redacted]"}'),
        ("[('x-auth-token', 'abc123def')]", "[('x-auth-token', '[redacted]')]"),
        ("[(b'x-auth-token', b'abc123def')]", "[(b'x-auth-token', b'[redacted]')]"),
        ("x-auth-token=abc123def&x=1", "x-auth-token=[redacted]&x=1"),
        ("Authorization: Bearer sometoken", "Authorization: Bearer [redacted]"),
        ("no secrets here: x-auth header", "no secrets here: x-auth header"),
        (
            "Failed to connect (url: wss://wss-primary.slack.com/link/?ticket=9f1c-77&app_id=A1)",
            "Failed to connect (url: wss://wss-primary.slack.com/link/?ticket=[redacted]&app_id=A1)",
        ),
    ],
)
def test_auth_header_values_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_values_under_secret_looking_keys_are_redacted() -> None:
    stream = json_logs()
    logging.getLogger("mava_bridge.test").info(
        "request",
        extra={
            "headers": {"x-auth-token": "opaque-value", "Accept": "application/json"},
            "api_key": "another-opaque-value",
            "ticket": "t-1",
        },
    )
    (record,) = records(stream)
    assert record["headers"] == {"x-auth-token": "[redacted]", "Accept": "application/json"}
    assert record["api_key"] == "[redacted]"
    assert record["ticket"] == "t-1"


def test_short_secrets_are_not_registered() -> None:
    json_logs(secrets=["ab", ""])
    assert redact("abba cab") == "abba cab"


def test_a_secret_containing_another_is_redacted_whole() -> None:
    json_logs(secrets=["abcd", "abcdefgh"])
    assert redact("abcdefgh") == "[redacted]"


def test_secret_values_include_the_database_password() -> None:
    settings = Settings(
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING,
        mava_api_token=MAVA_KEY,
        database_url=f"postgresql+asyncpg://bot:{DB_PASSWORD}@db:5432/mava",
    )
    assert sorted(settings.secret_values()) == sorted([BOT_TOKEN, SIGNING, MAVA_KEY, DB_PASSWORD])
    assert database_password("sqlite+aiosqlite:///./mava-bot.db") is None
    assert database_password("not a url") is None
