"""What the Mava sandbox keeps of each /api request, and a fault a test injects."""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass, field
from typing import Any

from mava_sandbox.mava_rules import FaultKind

# --- Records and faults ----------------------------------------------------------


@dataclass(frozen=True)
class RequestRecord:
    """One /api request as the sandbox saw it.

    `status` is what was (or, for a "timeout" fault, would have been) answered;
    0 means the connection closed with no answer.
    """

    method: str
    path: str
    query: list[tuple[str, str]]
    status: int
    time: float  # Unix seconds (real clock) when the request arrived
    body: Any = None  # parsed JSON body (raw text if not JSON), None if empty
    fault: str | None = None  # the injected fault kind that answered it, if any

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["query"] = [list(pair) for pair in self.query]
        return data


@dataclass
class Fault:
    """An injected failure for matching /api requests (see `MavaSandbox.inject`)."""

    kind: FaultKind
    times: int | None = 1  # None: until cleared
    path: str | None = None  # exact path or fnmatch pattern, e.g. "/api/ticket*"
    method: str | None = None
    status: int | None = None
    body: Any = None
    delay: float | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


DEFAULT_FAULT_ERRORS = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    429: "Too many requests",
    500: "Internal server error",
}
