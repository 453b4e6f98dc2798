"""Mava's signed webhooks: `verify` (pure) and `door` (`POST /mava/webhook`)."""
