"""Running it for real: structured, redacted logs; Prometheus metrics; health checks."""

from mava_bridge.observability.logs import configure_logging, log_action, redact, register_secret
from mava_bridge.observability.metrics import Metrics

__all__ = [
    "Metrics",
    "configure_logging",
    "log_action",
    "redact",
    "register_secret",
]
