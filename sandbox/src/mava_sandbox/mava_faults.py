"""What the Mava sandbox records and how it misbehaves on purpose: the request log,
injected faults, the rate limit, odd shapes, and the summary the admin routes show.
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any, get_args

from mava_sandbox.mava_records import Fault, RequestRecord
from mava_sandbox.mava_rules import FaultKind
from mava_sandbox.mava_seed import (
    STATUSES,
)
from mava_sandbox.mava_state import SandboxState
from mava_sandbox.odd_shapes import ODD_SHAPES


class FaultsMixin(SandboxState):
    """Request records, faults, odd shapes and the rate limit."""

    def serve_odd(self, ticket_id: str, shape: str | None) -> None:
        """Serve this ticket in an odd shape from now on (None: as documented again)."""
        if shape is None:
            self.odd_shape_of.pop(ticket_id, None)
        elif shape in ODD_SHAPES:
            self.odd_shape_of[ticket_id] = shape
        else:
            raise ValueError(f"odd shape must be one of {ODD_SHAPES}")

    # --- Requests, faults, rate limit ---------------------------------------------------

    def record(self, record: RequestRecord) -> None:
        self.requests.append(record)

    def reset_requests(self) -> None:
        self.requests.clear()

    def inject(
        self,
        kind: FaultKind,
        *,
        times: int | None = 1,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        body: Any = None,
        delay: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Make the next matching /api request(s) fail.

        kind "status": answer `status` (default 500) with `body` (default the usual
        {"error": ...}; a str is sent as is) after `delay` seconds; a 429 gets
        `Retry-After: 1` unless `headers` say otherwise. Nothing is handled.
        kind "timeout": handle the request normally (writes take effect), then hold
        the answer back `delay` seconds, or for good if `delay` is None.
        kind "malformed": 200 with a body that is not valid JSON (or `body`).
        kind "disconnect": close the connection without answering.
        Faults match by `method` and `path` (exact or fnmatch pattern, e.g.
        "/api/ticket*"), apply in order of injection, `times` times (None: forever).
        """
        if kind not in get_args(FaultKind):
            raise ValueError(f"fault kind must be one of {get_args(FaultKind)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for until cleared")
        fault = Fault(kind, times, path, method, status, body, delay, dict(headers or {}))
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> int:
        count = len(self.faults)
        self.faults.clear()
        return count

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                return fault
        return None

    def check_rate(self, key: str) -> int | None:
        """Count a request against `key`'s sliding window; seconds to wait if over."""
        if self.rate_limit is None:
            return None
        now = time.monotonic()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.rate_window:
            hits.popleft()
        if len(hits) >= self.rate_limit:
            return max(1, math.ceil(hits[0] + self.rate_window - now))
        hits.append(now)
        return None

    def summary(self) -> dict[str, Any]:
        by_status = {s: 0 for s in STATUSES}
        open_unassigned = 0
        for ticket in self.tickets:
            by_status[ticket["status"]] += 1
            open_unassigned += ticket["status"] != "Resolved" and ticket["assignedTo"] is None
        return {
            "tickets": {
                "total": len(self.tickets),
                "byStatus": by_status,
                "openUnassigned": open_unassigned,
                "newest": self.tickets[-1]["_id"] if self.tickets else None,
            },
            "customers": len(self.customers),
            "agents": [{"id": a.id, "name": a.name} for a in self.agents.values()],
            "categories": [
                {"_id": c.id, "name": c.name, "active": c.active} for c in self.categories.values()
            ],
            "tags": [{"_id": t.id, "name": t.name} for t in self.tags.values()],
            "requests": len(self.requests),
            "faults": len(self.faults),
            "latency": self.latency,
            "rateLimit": {"limit": self.rate_limit, "window": self.rate_window},
        }
