"""Structured logs that never carry a secret: JSON lines when stdout is not a terminal,
`key=value` lines on one. Every record passes a redaction filter before any formatter.
Only the standard library: python-json-logger would still need our own timestamp, size
bounds, clashing-key prefix and traceback cut, so it would not be shorter.
"""

from __future__ import annotations

import json as jsonlib
import logging
import re
import sys
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TextIO

REDACTED: Final = "[redacted]"

# Redacting every "ab" would garble the logs while protecting nothing.
MIN_SECRET_LENGTH: Final = 4

# Libraries whose INFO lines are noise or would print request URLs and ids.
QUIET_LOGGERS: Final[Mapping[str, int]] = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp.access": logging.WARNING,  # one line per /healthz probe; actions log themselves
    "apscheduler.executors.default": logging.ERROR,  # "Running job ..." every poll
    # Its per-tick warnings about a slow or late job: the scheduler says it once.
    "apscheduler.scheduler": logging.ERROR,
    "asyncio": logging.WARNING,
}

# Shapes of secrets we know even when nobody registered them.
_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    # Slack bot/user/app/refresh tokens: xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-, xapp-.
    (re.compile(r"\b(?:xox[abeprs]|xapp)-[A-Za-z0-9-]+"), REDACTED),
    # Mava's key travels in an `x-auth-token` header: `x-auth-token: v`, `'x-auth-token': 'v'`,
    # `("x-auth-token", "v")`, `x-auth-token=v`.
    (
        re.compile(r"""(?i)(x-auth-token['"]?\s*[:=,]\s*(?:(?-i:b)?['"])?)[^'"\s,;&)}\]]+"""),
        rf"\g<1>{REDACTED}",
    ),
    (
        re.compile(
            r"""(?i)((?:proxy-)?authorization['"]?\s*[:=,]\s*(?:(?-i:b)?['"])?"""
            r"""(?:(?:bearer|basic)\s+)?)[^'"\s,;&)}\]]+"""
        ),
        rf"\g<1>{REDACTED}",
    ),
    # A Socket Mode URL (wss://...?ticket=...) is a one-time credential that slack_sdk
    # names when a connection attempt fails.
    (re.compile(r"(?i)(\bticket=)[^&\s'\"]+"), rf"\g<1>{REDACTED}"),
)

# Mapping keys (and extra field names) whose values are secret whatever they look like.
_SENSITIVE_KEY: Final = re.compile(r"(?i)authorization|token|secret|passw|api[-_]?key|cookie")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS: Final = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys()
) | {"message", "asctime", "taskName"}

# Keys the JSON formatter writes itself; an extra field of the same name gets a prefix.
_JSON_KEYS: Final = frozenset({"time", "level", "logger", "message", "exception", "stack"})

# Size bounds (characters), so one line stays a few KB whatever a library or a request
# puts in it: about MAX_MESSAGE + MAX_TRACE + the extra fields at most.
MAX_MESSAGE: Final = 2000
MAX_FIELD: Final = 500
MAX_TRACE: Final = 4000
MAX_EXTRA_FIELDS: Final = 20


class Redactor:
    """Replaces registered secret values and token-shaped strings with `[redacted]`."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | None) -> None:
        if not value or len(value) < MIN_SECRET_LENGTH or value in self._secrets:
            return
        self._secrets.add(value)
        # Longest first, so a secret that contains another is removed whole.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(secret) for secret in ordered))

    def clear(self) -> None:
        self._secrets.clear()
        self._pattern = None

    def text(self, value: str) -> str:
        if self._pattern is not None:
            value = self._pattern.sub(REDACTED, value)
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    def value(self, value: Any, key: str = "") -> Any:
        """Redact inside strings and containers, and everything under a key such as
        `x-auth-token`. Other objects become redacted text here, so no `__repr__` slips a
        secret past and the JSON encoder never fails."""
        if value and key and _SENSITIVE_KEY.search(key):
            return REDACTED
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {str(k): self.value(item, str(k)) for k, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(item) for item in value]
        return self.text(str(value))


# Logging is process-wide, so its redaction list is too.
_redactor = Redactor()


def redact(text: str) -> str:
    """The text as it would appear in a log line: for error messages shown elsewhere."""
    return _redactor.text(text)


def _redact_record(record: logging.LogRecord) -> bool:
    """The handler's filter. The message is formatted here (args merged), so a secret
    passed as an argument is caught in its final form."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not lose the line
        message = f"{record.msg!s} {record.args!r}"
    record.msg, record.args = _redactor.text(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:  # formatters reuse `exc_text`: the redacted text is what prints
        record.exc_text = _redactor.text(record.exc_text)
    if record.stack_info:
        record.stack_info = _redactor.text(record.stack_info)
    for key in _extra_keys(record):
        setattr(record, key, _redactor.value(getattr(record, key), key))
    return True


def _extra_keys(record: logging.LogRecord) -> list[str]:
    return [key for key in vars(record) if key not in _RECORD_ATTRS and not key.startswith("_")]


def cut(text: str, limit: int) -> str:
    """The start of `text`, at most `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


def cut_start(text: str, limit: int) -> str:
    """The end of `text` (a traceback's last frames and the error itself)."""
    if len(text) <= limit:
        return text
    return f"[{len(text) - limit} characters before] …{text[-limit:]}"


def _field(value: Any) -> Any:
    """An extra field's value, kept as is when short, else cut as JSON text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return cut(value, MAX_FIELD)
    text = jsonlib.dumps(value, ensure_ascii=False, default=str)
    return value if len(text) <= MAX_FIELD else cut(text, MAX_FIELD)


def _bounded_extras(record: logging.LogRecord) -> list[tuple[str, Any]]:
    keys = _extra_keys(record)
    fields = [(key, _field(getattr(record, key))) for key in keys[:MAX_EXTRA_FIELDS]]
    if len(keys) > MAX_EXTRA_FIELDS:
        fields.append(("extra_fields_left_out", len(keys) - MAX_EXTRA_FIELDS))
    return fields


def _tails(formatter: logging.Formatter, record: logging.LogRecord) -> list[tuple[str, str]]:
    """The record's traceback and stack, each cut to its end (where it failed)."""
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    tails = (("exception", record.exc_text, MAX_TRACE), ("stack", record.stack_info, MAX_FIELD))
    return [(key, cut_start(text, limit)) for key, text, limit in tails if text]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        data: dict[str, Any] = {
            "time": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": cut(record.getMessage(), MAX_MESSAGE),
        }
        for key, value in _bounded_extras(record):
            data[f"extra_{key}" if key in _JSON_KEYS else key] = value
        data.update(_tails(self, record))
        return jsonlib.dumps(data, ensure_ascii=False, default=str)


_COLOURS: Final = {
    "DEBUG": "\x1b[2m",
    "INFO": "\x1b[32m",
    "WARNING": "\x1b[33m",
    "ERROR": "\x1b[31m",
    "CRITICAL": "\x1b[1;31m",
}


class ConsoleFormatter(logging.Formatter):
    """`12:00:01 INFO  mava_bridge.slack  message key=value` for a person at a terminal."""

    def __init__(self, colour: bool = False) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = f"{record.levelname:<7}"
        if self.colour:
            level = f"{_COLOURS.get(record.levelname, '')}{level}\x1b[0m"
        parts = [clock, level, record.name, cut(record.getMessage(), MAX_MESSAGE)]
        parts += [f"{key}={_console_value(value)}" for key, value in _bounded_extras(record)]
        return "\n".join([" ".join(parts), *dict(_tails(self, record)).values()])


def _console_value(value: Any) -> str:
    text = value if isinstance(value, str) else jsonlib.dumps(value, default=str)
    if text == "" or any(char.isspace() or char in '"=' for char in text):
        return jsonlib.dumps(text, ensure_ascii=False)
    return text


class _BotHandler(logging.StreamHandler[TextIO]):
    """Marks the handler this module installed, so reconfiguring replaces only it."""


def configure_logging(
    level: str,
    *,
    json: bool | None = None,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Install the one root handler (redacting, JSON unless `stream`, default stdout, is
    a terminal) in place of the one installed before; `secrets` are the values redacted."""
    out = sys.stdout if stream is None else stream
    try:
        is_terminal = out.isatty()
    except (AttributeError, ValueError):  # closed or not a real file
        is_terminal = False
    _redactor.clear()
    for value in secrets:
        _redactor.add(value)
    handler = _BotHandler(out)
    handler.addFilter(_redact_record)
    use_json = not is_terminal if json is None else json
    handler.setFormatter(JsonFormatter() if use_json else ConsoleFormatter(colour=is_terminal))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _BotHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(quiet)
    logging.captureWarnings(True)
    return handler
