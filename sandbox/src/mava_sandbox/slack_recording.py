"""What the Slack stub recorded (calls, messages, views) and the fault switches tests
throw: revoked tokens, errors, rate limits, HTTP failures, slow methods.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable

from mava_sandbox.slack_state import StubState
from mava_sandbox.slack_stub_types import JSON, RESPONSE_URL, SlackCall, StubFault


class RecordingMixin(StubState):
    """Recorded calls and state for tests to read; faults for tests to inject."""

    # ------------------------------------------------------------------ auth and faults

    def revoke(self, token: str) -> None:
        """From now on calls with `token` answer token_revoked."""
        self.revoked.add(token)

    def fail(self, method: str, error: str = "channel_not_found", times: int | None = 1) -> None:
        """Answer the next `times` calls of `method` with ``{"ok": false, "error": error}``.
        `method` may be ``"*"`` (any API method) or RESPONSE_URL. None = until clear_faults()."""
        self._add_fault(method, StubFault("error", times, error=error))

    def rate_limit(self, method: str, times: int | None = 1, retry_after: int = 1) -> None:
        """Answer HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``."""
        self._add_fault(method, StubFault("ratelimit", times, retry_after=retry_after))

    def http_error(
        self,
        method: str,
        status: int = 500,
        times: int | None = 1,
        body: JSON | str | None = None,
        content_type: str = "text/plain",
    ) -> None:
        """Answer HTTP `status`. The default body is JSON ``{"ok": false, "error":
        "internal_error"}``; pass a str for a non-JSON one (a proxy's HTML 502:
        ``body="<html>…", content_type="text/html"``), which slack_sdk cannot parse."""
        fault = StubFault("http", times, status=status, body=body, content_type=content_type)
        self._add_fault(method, fault)

    def slow_down(self, method: str, seconds: float) -> None:
        """Answer every `method` call (or RESPONSE_URL post) `seconds` late (stamped with
        its arrival time), until clear_faults(): lets a test hold many callers inside one
        call at once."""
        self._slow[method] = seconds

    def in_flight(self, method: str) -> int:
        """How many calls of a slowed `method` arrived and are not answered yet."""
        return self._in_flight.get(method, 0)

    def clear_faults(self) -> None:
        """Forget injected faults, slow methods, revoked tokens and unreachable images."""
        self._faults.clear()
        self._slow.clear()
        self.revoked.clear()
        self.unreachable_image_hosts.clear()

    def _add_fault(self, method: str, fault: StubFault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be >= 1, or None for 'until clear_faults()'")
        self._faults.setdefault(method, []).append(fault)

    def _take_fault(self, method: str, kinds: tuple[str, ...]) -> StubFault | None:
        keys = [method] if method == RESPONSE_URL else [method, "*"]
        for key in keys:
            queue = self._faults.get(key, [])
            for fault in queue:
                if fault.kind not in kinds:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        queue.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------------ recording

    def calls(self, method: str | None = None) -> list[SlackCall]:
        """Every recorded call (including refused ones), oldest first; optionally one method."""
        return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        """Forget recorded calls and posted state; keeps users, tokens and faults."""
        self._calls.clear()
        self._messages.clear()
        self._ephemerals.clear()
        self._views.clear()
        self._home_views.clear()
        self._unfurl_ids.clear()
        self._response_targets.clear()
        self._posted_at.clear()
        self._echoes.clear()
        self.files.downloads.clear()
        self.files.shared.clear()

    def channels(self) -> list[str]:
        """Ids of the channels (and DMs) that hold messages, in first-post order."""
        return [channel for channel, stored in self._messages.items() if stored]

    def messages(self, channel: str) -> list[JSON]:
        """Current messages in `channel` (a user id means its DM), oldest first, after updates
        and deletes. Thread replies are included; they carry `thread_ts`."""
        return copy.deepcopy(self._messages.get(self._dm_or_channel(channel), []))

    def thread(self, channel: str, thread_ts: str) -> list[JSON]:
        """Parent and replies of one thread, oldest first."""
        return [
            m
            for m in self.messages(channel)
            if m["ts"] == thread_ts or m.get("thread_ts") == thread_ts
        ]

    def message(self, channel: str, ts: str) -> JSON | None:
        found = self._find_message(self._dm_or_channel(channel), ts)
        return copy.deepcopy(found) if found is not None else None

    def reactions(self, channel: str, ts: str) -> list[str]:
        """Names of the reactions the bot has on the message at `ts` (reactions.add)."""
        found = self._find_message(self._dm_or_channel(channel), ts)
        if found is None:
            return []
        return [r["name"] for r in found.get("reactions", []) if self.bot_user_id in r["users"]]

    def ephemerals(self, user: str | None = None) -> list[JSON]:
        """Ephemeral messages sent (to `user`), each: channel, user, text, blocks?, message_ts."""
        return [copy.deepcopy(e) for e in self._ephemerals if user is None or e["user"] == user]

    def ephemeral(self, channel: str, message_ts: str) -> JSON | None:
        """The ephemeral at `message_ts` while Slack still shows it (None once the bot
        has deleted it): only then can its buttons be clicked."""
        shown = [
            e for e in self._ephemerals if (e["channel"], e["message_ts"]) == (channel, message_ts)
        ]
        return copy.deepcopy(shown[0]) if shown else None

    def responses(self, name: str | None = None) -> list[JSON]:
        """JSON bodies posted to response URLs (optionally one `name`), oldest first."""
        return [
            copy.deepcopy(c.params)
            for c in self._calls
            if c.method == RESPONSE_URL and c.ok and (name is None or c.target == name)
        ]

    def views(self) -> list[JSON]:
        """Current state of every view opened/pushed/published, in opening order."""
        return [copy.deepcopy(v) for v in self._views.values()]

    def view(self, view_id: str) -> JSON | None:
        """One view by id or external_id."""
        found = self._find_view(view_id, None) or self._find_view(None, view_id)
        return copy.deepcopy(found) if found is not None else None

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        # Generous: a wait ends at the call; a loaded machine must not fail a test.
        timeout: float = 30.0,  # noqa: ASYNC109 - the agreed test-facing signature
        predicate: Callable[[SlackCall], bool] | None = None,
    ) -> list[SlackCall]:
        """Wait until at least `count` calls of `method` matching `predicate` are recorded;
        return them all. Bolt acks before handlers finish, so tests need this after a request.
        Raises TimeoutError naming what was recorded instead."""
        # Polling keeps this independent of which event loop (or thread) serves the stub.
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls(method) if predicate is None or predicate(c)]
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                seen = ", ".join(c.method for c in self._calls) or "nothing"
                raise TimeoutError(
                    f"waited {timeout}s for {count} {method} call(s), got {len(found)}; "
                    f"recorded: {seen}"
                )
            await asyncio.sleep(0.005)

    def _record(self, call: SlackCall) -> None:
        self._calls.append(call)
