"""views.* in the Slack stub: modals (open, push, update with hash and triggers) and
App Home (publish).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from mava_sandbox.slack_state import StubState
from mava_sandbox.slack_stub_types import JSON, SlackApiFailure, invalid_failure, new_view_hash


class ViewsMixin(StubState):
    """Modals and App Home views."""

    # ------------------------------------------------------------------ methods: views

    def _new_view(self, spec: JSON, *, previous_view_id: str | None = None) -> JSON:
        """Store `spec` (a view `_check_view` took) as a new view."""
        view_id = f"V{next(self._ids):08d}"
        stored: JSON = {
            "id": view_id,
            "team_id": self.team_id,
            "type": spec["type"],
            "blocks": spec.get("blocks", []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "state": {"values": {}},
            "hash": new_view_hash(),
            "title": spec.get("title"),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "close": spec.get("close"),
            "submit": spec.get("submit"),
            "previous_view_id": previous_view_id,
            "root_view_id": view_id,
            "app_id": self.app_id,
            "external_id": spec.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if stored["external_id"] and self._find_view(None, stored["external_id"]) is not None:
            raise SlackApiFailure("duplicate_external_id")
        self._views[view_id] = stored
        return stored

    def _check_trigger(self, trigger_id: Any) -> None:
        if not trigger_id:
            raise SlackApiFailure("invalid_arguments")
        # Slack's trigger ids work for 3 s. Ours (slack_requests.new_trigger_id) start
        # with the millisecond they were issued; other shapes never expire.
        head = str(trigger_id).split(".", 1)[0]
        issued_ms = int(head) if head.isdigit() else 0
        if issued_ms > 10**12 and time.time() - issued_ms / 1000 > self.trigger_ttl:
            raise SlackApiFailure("expired_trigger_id")

    def _views_open(self, params: JSON) -> JSON:
        self._check_trigger(params.get("trigger_id"))
        view = self._new_view(self._check_view(params.get("view")))
        return {"ok": True, "view": copy.deepcopy(view)}

    def _views_push(self, params: JSON) -> JSON:
        self._check_trigger(params.get("trigger_id"))
        # The stack's top is not knowable from a trigger id; the last opened view stands in.
        previous = next(reversed(self._views), None)
        spec = self._check_view(params.get("view"))
        view = self._new_view(spec, previous_view_id=previous)
        if previous is not None:
            view["root_view_id"] = self._views[previous]["root_view_id"]
        return {"ok": True, "view": copy.deepcopy(view)}

    def _views_update(self, params: JSON) -> JSON:
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        if not view_id and not external_id:
            raise SlackApiFailure("invalid_arguments")
        stored = self._find_view(view_id, external_id)
        if stored is None:
            raise SlackApiFailure("not_found")
        expected = params.get("hash")
        if expected and expected != stored["hash"]:
            raise SlackApiFailure("hash_conflict")
        spec = self._check_view(params.get("view"))
        for key in ("type", "title", "close", "submit"):
            stored[key] = spec.get(key)
        stored["blocks"] = spec.get("blocks", [])
        stored["private_metadata"] = spec.get("private_metadata", "")
        stored["callback_id"] = spec.get("callback_id", "")
        stored["clear_on_close"] = bool(spec.get("clear_on_close", False))
        stored["notify_on_close"] = bool(spec.get("notify_on_close", False))
        if spec.get("external_id"):
            stored["external_id"] = spec["external_id"]
        stored["hash"] = new_view_hash()
        return {"ok": True, "view": copy.deepcopy(stored)}

    def _views_publish(self, params: JSON) -> JSON:
        user = self._require_user(params.get("user_id"))
        spec = self._check_view(params.get("view"))
        if spec["type"] != "home":
            raise invalid_failure("invalid_arguments", ["must be 'home' [json-pointer:/view/type]"])
        # One App Home per member: publishing replaces the previous one.
        previous = self._home_views.pop(user.id, None)
        if previous is not None:
            self._views.pop(previous, None)
        view = self._new_view(spec)
        self._home_views[user.id] = view["id"]
        return {"ok": True, "view": copy.deepcopy(view)}
