"""The bot's real log output (JSON lines, as in production) captured during a test."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mava_bridge.observability import logs

# A line holds a message, a traceback's end and a few short fields (see logs.MAX_*).
MAX_LINE = logs.MAX_MESSAGE + logs.MAX_TRACE + logs.MAX_EXTRA_FIELDS * (logs.MAX_FIELD + 60)


@dataclass
class CapturedLogs:
    stream: io.StringIO = field(default_factory=io.StringIO)

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]

    def errors(self) -> list[dict[str, Any]]:
        """ERROR/CRITICAL lines and lines carrying a traceback."""
        return [
            r
            for r in self.records()
            if r["level"] in ("ERROR", "CRITICAL") or "exception" in r or "stack" in r
        ]

    def tracebacks(self) -> int:
        return sum(1 for r in self.records() if "exception" in r or "Traceback" in json.dumps(r))

    def longest(self) -> int:
        return max((len(line.encode()) for line in self.lines()), default=0)


@contextlib.contextmanager
def captured_logs(level: str = "INFO") -> Iterator[CapturedLogs]:
    """Install the bot's JSON handler on a buffer; put logging back afterwards."""
    root = logging.getLogger()
    handlers, old_level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in logs.QUIET_LOGGERS}
    captured = CapturedLogs()
    logs.configure_logging(level, json=True, stream=captured.stream)
    try:
        yield captured
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(old_level)
        for name, was in quiet.items():
            logging.getLogger(name).setLevel(was)
        logging.captureWarnings(False)
