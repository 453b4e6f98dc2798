"""Mava's signed webhooks: `verify` (pure: bytes and a key in, an envelope out) and
`door` (`POST /mava/webhook`: bounded read, verify, remember the id, answer, nudge)."""
