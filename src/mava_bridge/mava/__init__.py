"""Typed async client for the Mava API; knows nothing of Slack."""
