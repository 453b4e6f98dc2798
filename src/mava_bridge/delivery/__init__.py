"""Delivery: the scheduled jobs that poll Mava and post each ticket once.

- `alerts`: the poller for new tickets; `digests`: build and post a channel's digest.
- `ports`: what delivery needs from the chat (`Poster`, `Renderer`) and the
  `DeliveryFailed` it understands back; the Slack side implements them
  (mava_bridge.slack.poster, mava_bridge.slack.blocks.digest) and mava_bridge.app
  passes them in.
- `in_doubt`: a dead holder's post looked for in the chat before it goes again (the
  ledger itself, claim-then-post-then-mark, is `mava_bridge.store.ledger`);
  `queries`: the Mava searches digests and alerts share.
- `scheduler`: the APScheduler jobs, run on the leader only (mava_bridge.store.leader);
  crontab -> trigger rules live in `mava_bridge.domain.cron`.
- `housekeeping`: the hourly job deleting rows nothing needs any more.

What each channel gets is a service (mava_bridge.services.subscriptions).
"""

from mava_bridge.delivery.alerts import AlertPoller, PollReport
from mava_bridge.delivery.digests import DeliveryResult, DigestPreview, DigestService
from mava_bridge.delivery.housekeeping import Housekeeping
from mava_bridge.delivery.leading import ShouldRun, always_run
from mava_bridge.delivery.ports import DeliveryFailed, Poster, Renderer
from mava_bridge.delivery.scheduler import BotScheduler

__all__ = [
    "AlertPoller",
    "BotScheduler",
    "DeliveryFailed",
    "DeliveryResult",
    "DigestPreview",
    "DigestService",
    "Housekeeping",
    "PollReport",
    "Poster",
    "Renderer",
    "ShouldRun",
    "always_run",
]
