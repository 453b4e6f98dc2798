"""No log line carries more than a few KB, whatever a library or a request puts in it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from mava_bridge.observability import logs
from mava_bridge.observability.logs import MAX_MESSAGE, MAX_TRACE, configure_logging

FEW_KB = 8 * 1024


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    yield out
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)
    logs._redactor.clear()


def failure_with_a_long_cause() -> None:
    try:
        raise ValueError("an echoed request " + "z" * 50_000)
    except ValueError as exc:
        raise RuntimeError("the error at the bottom") from exc


@pytest.mark.parametrize("use_json", [True, False])
def test_a_megabyte_message_field_and_traceback_make_a_short_line(
    stream: io.StringIO, use_json: bool
) -> None:
    configure_logging("INFO", json=use_json, stream=stream)
    log = logging.getLogger("mava_bridge.test")
    body = "payload=" + "x" * 1_000_000
    log.info("unhandled request (%s)", body, extra={"body": body, "nested": {"b": body}})
    try:
        failure_with_a_long_cause()
    except RuntimeError:
        log.exception("failed with %s", body)
    output = stream.getvalue()
    # Two lines (the console puts a traceback on lines of its own), each a few KB.
    assert len(output.encode()) < 2 * FEW_KB
    if use_json:
        first, second = (json.loads(line) for line in output.splitlines())
        for record in (first, second):
            assert len(json.dumps(record)) < FEW_KB
        assert first["message"].endswith("more characters]")
        assert len(first["message"]) <= MAX_MESSAGE + 40
        assert first["body"].endswith("more characters]")
        # The end of a traceback says what failed: it is what is kept.
        assert second["exception"].startswith("[")
        assert "RuntimeError: the error at the bottom" in second["exception"]
        assert len(second["exception"]) <= MAX_TRACE + 60


def test_secrets_are_redacted_before_a_line_is_cut(stream: io.StringIO) -> None:
    secret = "s3cr3t-signing-value-0123456789"
    configure_logging("INFO", json=True, stream=stream, secrets=[secret])
    # The secret straddles the cut point: redaction sees the whole text first.
    message = "a" * (MAX_MESSAGE - 10) + secret + "b" * 10
    logging.getLogger("mava_bridge.test").warning(message)
    line = stream.getvalue()
    assert secret[:10] not in line
    assert "[redacted]" in line or "more characters]" in line


def test_many_extra_fields_are_bounded(stream: io.StringIO) -> None:
    configure_logging("INFO", json=True, stream=stream)
    extra = {f"field{i}": "v" * 1000 for i in range(200)}
    logging.getLogger("mava_bridge.test").info("many", extra=extra)
    record = json.loads(stream.getvalue())
    assert len(stream.getvalue()) < 16 * 1024
    assert record["extra_fields_left_out"] == 200 - logs.MAX_EXTRA_FIELDS
