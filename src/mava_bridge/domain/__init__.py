"""Pure types and rules of the bridge: what tickets' priorities, statuses and origins
mean, which tickets a subscription is about (`Filters`), when digests run (`Schedule`
and crontab rules) and how a ticket is referred to.

Nothing here imports another part of `mava_bridge` (only the standard library and, for
cron, APScheduler), so every layer above may use it.

- `tickets`: `Status`, `Priority`, `Origin`, `OPEN_STATUSES`, origin labels.
- `ticket_refs`: ticket ids (Mava ObjectIds) and dashboard links.
- `filters`: `Filters`, their matching, wording and stored (JSON) form.
- `schedule`: `Schedule` (when a digest runs); `cron`: crontab parsing, validation,
  normalising and the APScheduler triggers that keep crontab's meaning.
- `wording`: small wording rules for messages people read.
- `retry`: the retry policy for outside systems (Mava, Slack).
"""
