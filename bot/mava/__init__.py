"""Typed async client for the Mava API; knows nothing of Slack."""

from bot.mava.client import MavaClient, RetryPolicy, TicketQuery
from bot.mava.errors import MavaError

__all__ = ["MavaClient", "MavaError", "RetryPolicy", "TicketQuery"]
