"""Pure types and rules of the bridge. Nothing here imports another part of
`mava_bridge` (only the standard library and, for cron, APScheduler)."""
