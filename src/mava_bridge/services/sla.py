"""`/mava sla`: the response-time policy, read by the breach poll and changed by a lead
(audited, like every settings-changing command)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from mava_bridge.domain.business_hours import BusinessHours
from mava_bridge.domain.sla import Policy
from mava_bridge.services.outcome import Actor, Auditor, Outcome
from mava_bridge.services.subscriptions import Clock
from mava_bridge.store import sla as store
from mava_bridge.store.db import Database, utcnow


async def current_policy(db: Database) -> Policy:
    return Policy.from_json(await store.load_policy(db))


class SlaPolicies:
    def __init__(
        self, db: Database, auditor: Auditor, *, zone: str = "UTC", clock: Clock = utcnow
    ) -> None:
        self._db = db
        self._auditor = auditor
        self.zone = zone  # business hours given without a zone are read in this one
        self._clock = clock

    async def current(self) -> Policy:
        return await current_policy(self._db)

    async def set_targets(
        self, actor: Actor, priorities: Sequence[str], targets: Mapping[str, int]
    ) -> Outcome:
        policy = (await self.current()).with_targets(priorities, targets)
        return await self._save(actor, policy, f"targets for {', '.join(priorities)}")

    async def set_hours(self, actor: Actor, hours: BusinessHours) -> Outcome:
        return await self._save(actor, replace(await self.current(), hours=hours), "hours")

    async def _save(self, actor: Actor, policy: Policy, what: str) -> Outcome:
        await store.save_policy(self._db, policy.to_json(), actor.user_id, self._clock())
        lines = policy.describe()
        record = await self._auditor.record(actor, "sla", None, f"{what}: {'; '.join(lines)}", "ok")
        return Outcome("ok", "SLA policy saved.\n" + "\n".join(lines), record)
