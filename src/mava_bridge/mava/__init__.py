"""Typed async client for the Mava API; knows nothing of Slack."""

from mava_bridge.mava.client import MavaClient, RetryPolicy
from mava_bridge.mava.errors import MavaError
from mava_bridge.mava.query import TicketQuery

__all__ = ["MavaClient", "MavaError", "RetryPolicy", "TicketQuery"]
