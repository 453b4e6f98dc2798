"""Delivery: the leader's scheduled jobs that poll Mava and post each thing once (the
ledger: store.ledger; the chat behind delivery.ports). What each channel gets is a
service (services.subscriptions)."""
