"""What travels on the Socket Mode stub's sockets: connections, envelopes, acks, and
the envelope a signed HTTP request becomes.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import parse_qsl

from aiohttp import web

JSON = dict[str, Any]
EnvelopeType = Literal["slash_commands", "interactive", "events_api"]

# Interactive payloads whose ack may carry a response (view_submission's response_action,
# block_suggestion's options); for the rest Slack ignores an ack payload.
RESPONSE_PAYLOAD_TYPES: Final = frozenset({"view_submission", "block_suggestion"})


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: JSON | None  # what the app put in its ack, if anything
    seconds: float  # from sending the envelope to receiving the ack


@dataclass
class Connection:
    """One websocket the app opened."""

    number: int
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    opened_at: float
    closed_at: float | None = None
    silent: bool = False
    received: list[JSON] = field(default_factory=list)  # every JSON message from the app

    @property
    def open(self) -> bool:
        return self.closed_at is None and not self.ws.closed


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: JSON
    connection: Connection
    sent_at: float
    _acks: asyncio.Queue[Ack] = field(default_factory=asyncio.Queue)
    acks: list[Ack] = field(default_factory=list)

    async def acked(self, timeout: float = 5.0) -> Ack:  # noqa: ASYNC109 - test-facing
        """The first ack for this envelope (waits for it; TimeoutError if none comes)."""
        if self.acks:
            return self.acks[0]
        return await asyncio.wait_for(self._acks.get(), timeout)


def payload_from_request(body: str) -> tuple[EnvelopeType, JSON]:
    """The Socket Mode envelope type and payload for a request body built by
    `mava_sandbox.slack_requests` (so every builder there serves both modes): Events API
    JSON stays JSON, ``payload=<json>`` forms are interactive, other forms slash commands."""
    if body.lstrip().startswith("{"):
        return "events_api", json.loads(body)
    fields = dict(parse_qsl(body, keep_blank_values=True))
    if set(fields) == {"payload"}:
        return "interactive", json.loads(fields["payload"])
    return "slash_commands", fields
