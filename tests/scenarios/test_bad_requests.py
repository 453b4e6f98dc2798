"""Malformed requests, signed or not: a 4xx, never a 500, never a traceback in the log.

`test_fuzz` builds a few hundred variants of real Slack requests (every field the
listeners read removed or replaced by a value of the wrong type, broken payloads,
broken bodies) and sends each signed with the right secret and unsigned.
"""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from mava_bridge.slack.callback_ids import VIEW_NOTE
from mava_sandbox.slack_requests import (
    DEFAULT_SIGNING_SECRET,
    FORM,
    block_actions,
    message_shortcut,
    sign,
    slash_command,
    view_submission,
)
from mava_sandbox.stack import Stack

from .conftest import CHANNEL, new_ticket
from .log_capture import MAX_LINE, CapturedLogs, captured_logs

pytestmark = pytest.mark.asyncio(loop_scope="module")

JSON = dict[str, Any]
DELETE = object()
# Values of every JSON type, for fields that should hold something else.
JUNK: tuple[Any, ...] = (DELETE, None, 0, 1.5, True, "", "x", [], {}, [1], {"id": 7})
FORM_JUNK: tuple[Any, ...] = (DELETE, "", "x", "javascript:alert(1)", "/other", "ftp://h/x")


@dataclass(frozen=True)
class Variant:
    name: str
    body: bytes
    content_type: str | None = FORM


def form(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def payload_form(payload: Any) -> bytes:
    return form({"payload": json.dumps(payload)})


def fields_of(body: str) -> dict[str, str]:
    return dict(parse_qsl(body, keep_blank_values=True))


def payload_of(body: str) -> JSON:
    value: JSON = json.loads(fields_of(body)["payload"])
    return value


def mutated(payload: JSON, path: tuple[str | int, ...], value: Any) -> JSON | None:
    """A copy of `payload` with `path` replaced (or removed); None if the path is absent."""
    copied = copy.deepcopy(payload)
    node: Any = copied
    for step in path[:-1]:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    last = path[-1]
    if isinstance(node, dict):
        if value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        if value is DELETE:
            node.pop(last)
        else:
            node[last] = value
    else:
        return None
    return copied


# Every field the listeners (or Bolt's context builder) read, per kind of request.
ACTION_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("type",),
    ("user",),
    ("user", "id"),
    ("team",),
    ("enterprise",),
    ("is_enterprise_install",),
    ("authorizations",),
    ("channel",),
    ("channel", "id"),
    ("actions",),
    ("actions", 0),
    ("actions", 0, "action_id"),
    ("actions", 0, "value"),
    ("trigger_id",),
    ("response_url",),
    ("message",),
    ("message", "ts"),
    ("message", "text"),
    ("message", "blocks"),
    ("container",),
    ("container", "message_ts"),
)
SHORTCUT_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("type",),
    ("callback_id",),
    ("trigger_id",),
    ("response_url",),
    ("user",),
    ("user", "id"),
    ("team",),
    ("channel",),
    ("channel", "id"),
    ("message",),
    ("message", "text"),
    ("message", "ts"),
    ("message", "user"),
    ("message", "thread_ts"),
)
VIEW_PATHS: tuple[tuple[str | int, ...], ...] = (
    ("type",),
    ("user",),
    ("user", "id"),
    ("view",),
    ("view", "id"),
    ("view", "callback_id"),
    ("view", "private_metadata"),
    ("view", "state"),
    ("view", "state", "values"),
    ("view", "state", "values", "text"),
    ("view", "state", "values", "text", "text_input"),
    ("view", "state", "values", "text", "text_input", "value"),
    ("response_urls",),
)
COMMAND_FIELDS = ("command", "user_id", "trigger_id", "response_url", "channel_id", "text")


def variants(stack: Stack, ticket: str) -> Iterator[Variant]:
    url = stack.slack.response_url()
    command = fields_of(slash_command(f"show {ticket}", response_url=url))
    for key in COMMAND_FIELDS:
        for value in FORM_JUNK:
            fields = dict(command)
            if value is DELETE:
                fields.pop(key)
            else:
                fields[key] = value
            yield Variant(f"command {key}={value!r}", form(fields))

    message = {"ts": f"{time.time():.6f}", "text": f"about {ticket}", "user": "U0SAM"}
    bases = {
        "action": (
            payload_of(block_actions("ticket_resolve", ticket, response_url=url)),
            ACTION_PATHS,
        ),
        "shortcut": (
            payload_of(message_shortcut("add_private_note", message=message, response_url=url)),
            SHORTCUT_PATHS,
        ),
        "view": (
            payload_of(
                view_submission(
                    VIEW_NOTE,
                    {"text": "a note"},
                    private_metadata=json.dumps({"ticket": ticket, "channel": CHANNEL}),
                )
            ),
            VIEW_PATHS,
        ),
    }
    for kind, (payload, paths) in bases.items():
        for path in paths:
            for value in JUNK:
                changed = mutated(payload, path, value)
                if changed is not None:
                    shown = "deleted" if value is DELETE else repr(value)
                    yield Variant(
                        f"{kind} {'.'.join(map(str, path))}={shown}", payload_form(changed)
                    )

    raw_payloads = (
        "not json", "[]", '"a string"', "null", "123", "true", "{", '{"type": 1}',
        "[" * 100_000, "1" * 5000, '{"type": "block_actions"}', '{"type": "view_closed"}',
        '{"type": "shortcut", "user": {"id": "U0JANE"}}', '{"type": "block_suggestion"}',
    )  # fmt: skip
    for raw in raw_payloads:
        yield Variant(f"payload={raw[:20]!r}", form({"payload": raw}))
    yield Variant("empty body", b"")
    yield Variant("JSON body", json.dumps(command).encode(), "application/json")
    yield Variant("JSON body as a form", json.dumps(command).encode())
    yield Variant(
        "url_verification", b'{"type":"url_verification","challenge":"c"}', "application/json"
    )
    yield Variant("text/plain", form(command), "text/plain")
    yield Variant("multipart", form(command), "multipart/form-data; boundary=x")
    yield Variant("no content type", form(command), None)
    yield Variant("not UTF-8", form(command) + b"&text=%FF\xff\xfe")
    yield Variant("too many fields", form({f"f{i}": "x" for i in range(500)}))
    yield Variant("no command, no payload", form({"user_id": "U0JANE"}))
    yield Variant("payload and command", form({**command, "payload": "{}"}))
    yield Variant("huge body", b"text=" + b"a" * (3 * 1024 * 1024))


@dataclass
class Tally:
    tried: int = 0
    accepted: int = 0  # 2xx: still a valid request after the change
    refused: int = 0  # 4xx
    failed: int = 0  # 5xx or no answer

    def add(self, status: int | None) -> None:
        self.tried += 1
        if status is None or status >= 500:
            self.failed += 1
        elif status >= 400:
            self.refused += 1
        else:
            self.accepted += 1


async def post(
    client: httpx.AsyncClient, stack: Stack, variant: Variant, headers: dict[str, str]
) -> int | None:
    if variant.content_type is None:
        headers.pop("Content-Type", None)
    else:
        headers["Content-Type"] = variant.content_type
    try:
        response = await client.post(stack.url, content=variant.body, headers=headers)
    except httpx.HTTPError:
        return None
    return response.status_code


async def send_all(
    stack: Stack, all_variants: list[Variant], *, signed: bool
) -> tuple[Tally, list[str]]:
    tally, failures = Tally(), []
    async with httpx.AsyncClient(timeout=15.0) as client:
        for start in range(0, len(all_variants), 25):
            batch = all_variants[start : start + 25]
            statuses = await asyncio.gather(
                *(
                    post(
                        client,
                        stack,
                        v,
                        sign(DEFAULT_SIGNING_SECRET, v.body) if signed else {},
                    )
                    for v in batch
                )
            )
            for variant, status in zip(batch, statuses, strict=True):
                tally.add(status)
                # Unsigned: 401, or 413 for a body too big to read for its signature.
                if status is None or status >= 500 or (not signed and status not in (401, 413)):
                    failures.append(f"{variant.name}: {status}")
    return tally, failures


def check_logs(logs: CapturedLogs, *secrets_in_bodies: str) -> None:
    assert logs.errors() == [], logs.errors()[:3]
    assert logs.tracebacks() == 0
    assert logs.longest() <= MAX_LINE, logs.longest()
    text = logs.stream.getvalue()
    for secret in secrets_in_bodies:
        assert secret not in text


async def test_fuzz(stack: Stack) -> None:
    ticket = new_ticket(stack)
    all_variants = list(variants(stack, ticket))
    marker = f"https://attacker.example/{secrets.token_hex(8)}"
    hostile = [
        Variant(v.name, v.body.replace(b"127.0.0.1", marker.encode()), v.content_type)
        for v in all_variants
    ]
    with captured_logs() as logs:
        unsigned, unsigned_failures = await send_all(stack, hostile, signed=False)
        signed, signed_failures = await send_all(stack, all_variants, signed=True)
        assert await stack.runtime.deps.inflight.wait_idle(30.0)
        await asyncio.sleep(0.5)  # answers to accepted variants are logged by now
    print(
        f"\nfuzz: {unsigned.tried + signed.tried} requests; unsigned {unsigned}; signed {signed}; "
        f"tracebacks in the log {logs.tracebacks()}; error lines {len(logs.errors())}; "
        f"longest line {logs.longest()} bytes"
    )
    assert unsigned_failures == []
    assert unsigned.refused == unsigned.tried  # every unsigned request: 401
    assert signed_failures == []
    assert signed.failed == 0
    check_logs(logs, marker)


# The cases named in issue #10, one by one: each signed with the right secret, each a 4xx.
def named_cases(stack: Stack, ticket: str) -> Iterator[tuple[str, bytes, str | None]]:
    url = stack.slack.response_url()
    command = fields_of(slash_command(f"show {ticket}", response_url=url))
    action = payload_of(block_actions("ticket_resolve", ticket, response_url=url))
    view = payload_of(view_submission(VIEW_NOTE, {"text": "hi"}))
    for raw in ("not json", "[1, 2]", '"a string"', "null"):
        yield f"payload {raw}", form({"payload": raw}), FORM
    for key in ("user_id", "response_url", "trigger_id"):
        yield f"command without {key}", form({k: v for k, v in command.items() if k != key}), FORM
    yield "empty actions", payload_form({**action, "actions": []}), FORM
    button = {k: v for k, v in action["actions"][0].items() if k != "value"}
    yield "button without value", payload_form({**action, "actions": [button]}), FORM
    no_id = {k: v for k, v in view["view"].items() if k != "id"}
    yield "view without id", payload_form({**view, "view": no_id}), FORM
    yield "JSON body", json.dumps(command).encode(), "application/json"
    yield "empty body", b"", FORM
    yield "huge body", b"text=" + b"a" * (2 * 1024 * 1024), FORM


async def test_each_named_malformed_request_gets_a_4xx(stack: Stack) -> None:
    ticket = new_ticket(stack)
    stack.mava.sandbox.reset_requests()
    with captured_logs() as logs:
        async with httpx.AsyncClient(timeout=15.0) as client:
            for name, body, content_type in named_cases(stack, ticket):
                headers = sign(DEFAULT_SIGNING_SECRET, body)
                if content_type:
                    headers["Content-Type"] = content_type
                response = await client.post(stack.url, content=body, headers=headers)
                assert 400 <= response.status_code < 500, (name, response.status_code)
            # A signed request with a timestamp that is not a number.
            body = form(fields_of(slash_command(f"show {ticket}", response_url="https://h/x")))
            headers = {**sign(DEFAULT_SIGNING_SECRET, body), "X-Slack-Request-Timestamp": "now"}
            response = await client.post(stack.url, content=body, headers=headers)
            assert response.status_code == 401
        await asyncio.sleep(0.3)
    assert stack.mava.sandbox.requests == []
    assert stack.slack.calls() == []
    check_logs(logs)
