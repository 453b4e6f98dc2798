"""Typed async client for the Mava API; knows nothing of Slack."""

from mava_bridge.mava.client import MavaClient, RetryPolicy, TicketQuery
from mava_bridge.mava.errors import MavaError

__all__ = ["MavaClient", "MavaError", "RetryPolicy", "TicketQuery"]
